/** A variable that a rendering could not fill. */
export interface MissingVariable {
  name: string;
}

type Part = string | { name: string };

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_-]*)\s*\}\}/g;

/**
 * A variant's `prompt` with `{{var}}` placeholders, split once at boot so rendering is a
 * concatenation. Strings are inserted as they are; other values as JSON.
 */
export class PromptTemplate {
  private readonly parts: readonly Part[];
  /** the placeholder names, in order of first appearance */
  readonly variables: readonly string[];

  constructor(source: string) {
    const parts: Part[] = [];
    const names = new Set<string>();
    let last = 0;
    for (const match of source.matchAll(PLACEHOLDER)) {
      if (match.index > last) parts.push(source.slice(last, match.index));
      const name = match[1] as string;
      parts.push({ name });
      names.add(name);
      last = match.index + match[0].length;
    }
    if (last < source.length) parts.push(source.slice(last));
    this.parts = parts;
    this.variables = [...names];
  }

  /** The text, or the variables `input` lacks (own properties only). */
  render(input: Record<string, unknown>): { text: string } | { missing: string[] } {
    const missing = this.variables.filter((name) => !Object.hasOwn(input, name) || input[name] === undefined);
    if (missing.length > 0) return { missing };
    let text = '';
    for (const part of this.parts) {
      if (typeof part === 'string') {
        text += part;
      } else {
        const value = input[part.name];
        text += typeof value === 'string' ? value : JSON.stringify(value);
      }
    }
    return { text };
  }
}
