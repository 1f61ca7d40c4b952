import { RE2JS } from 're2js';
import { redactDatesOfBirth, redactStreetAddresses } from './personal';
import { phoneLibrary, redactPhones } from './phone';
import {
  foldFullWidth,
  newRedactRun,
  PLACEHOLDER,
  type RedactRun,
  replaceSpans,
  type RedactStep,
} from './replace';
import { redactSecrets } from './secrets';
import { redactCards, redactEmails, redactIbans, redactIps, redactSsns } from './structured';

/**
 * Built-in detectors, in order. Secrets go first (tokens hold digit runs that look like
 * phone or card numbers, URLs with credentials hold an `@`), then the shapes with a
 * checksum or fixed layout, dates of birth before phone numbers (`12.03.1984` has enough
 * digits to be tried as one), addresses, and phone numbers, the loosest shape, last.
 */
const BUILT_IN_WHOLE_TEXT: readonly RedactStep[] = [redactSecrets];
/**
 * The detectors after secrets see one line at a time: none of their patterns, look-arounds or
 * scans reaches across a `\n` (secrets do: PEM blocks, `password is` + any whitespace). So
 * they run on chunks of about {@link CHUNK_CHARS} characters cut after a line break, each
 * replacement then copying a chunk rather than the whole text (for 1 MiB of PII-dense prose,
 * ~10 copies of 2 MB per pass and the garbage collection they caused). The one context read
 * across lines, `version` before an IPv4 address (`version\n 1.2.3.4`), needs whitespace or
 * the address at the start of the line: cuts are made only before a line that starts with
 * neither, so the chunks give the same text as the whole.
 */
const BUILT_IN_BY_LINE: readonly RedactStep[] = [
  redactEmails,
  redactIbans,
  redactCards,
  redactSsns,
  redactIps,
  redactDatesOfBirth,
  redactStreetAddresses,
  redactPhones,
];
const CHUNK_CHARS = 32 * 1024;

/** Where a chunk that reaches `from` may end: after a `\n` followed by neither whitespace nor a digit. */
function chunkEnd(text: string, from: number): number {
  for (let i = text.indexOf('\n', from); i >= 0; i = text.indexOf('\n', i + 1)) {
    const next = text.charAt(i + 1);
    if (next !== '' && !/[\s\d]/.test(next)) return i + 1;
  }
  return text.length;
}

/** `steps` applied to `text` a chunk at a time (see {@link BUILT_IN_BY_LINE}). */
function byChunks(text: string, steps: readonly RedactStep[], run: RedactRun): string {
  const apply = (chunk: string) => steps.reduce((acc, step) => step(acc, run), chunk);
  if (text.length <= CHUNK_CHARS) return apply(text);
  const parts: string[] = [];
  let changed = false;
  for (let start = 0; start < text.length;) {
    const end = chunkEnd(text, start + CHUNK_CHARS);
    const chunk = text.slice(start, end);
    const out = apply(chunk);
    changed ||= out !== chunk;
    parts.push(out);
    start = end;
  }
  return changed ? parts.join('') : text;
}

const MAX_PASSES = 4;
/** Default `max_field_chars`: 256 Ki characters of one string are read; the rest is replaced. */
export const DEFAULT_MAX_FIELD_CHARS = 256 * 1024;
/** How far back from the cap the cut may move to land on whitespace (not inside an email). */
const CUT_BACKTRACK = 256;

export interface RedactorOptions {
  enabled: boolean;
  /** Admin-supplied patterns (RE2 syntax), replaced by `[REDACTED]` before the built-ins run. */
  extraPatterns: readonly string[];
  /** A string longer than this is read up to here; the rest becomes `[OVERSIZE]` unread. */
  maxFieldChars?: number;
  /** Told the number of characters replaced unread each time a string is cut (a metric). */
  onOversize?: (droppedChars: number) => void;
  /**
   * Told the number of phone-shaped runs in one string replaced by `[PHONE]` without a
   * libphonenumber lookup, because the string's lookup budget was spent (a metric).
   */
  onUnverifiedPhones?: (runs: number) => void;
}

/**
 * Compiles an admin-supplied pattern with RE2 (re2js: a pure-JS port of Google's RE2),
 * which matches in time linear in the text whatever the pattern: a pattern from
 * flywheel.yaml cannot hang redaction. The error names the config key.
 */
export function compileExtraPattern(source: string, index: number): RE2JS {
  try {
    return RE2JS.compile(source);
  } catch (err) {
    throw new Error(
      `curator.redaction.extra_patterns[${index}] is not a valid RE2 regular expression: ${(err as Error).message}`,
    );
  }
}

function extraPatternStep(pattern: RE2JS): RedactStep {
  return (text) => {
    if (!pattern.test(text)) return text;
    const spans: [number, number][] = [];
    const matcher = pattern.matcher(text);
    while (matcher.find()) {
      const [start, end] = [matcher.start(), matcher.end()];
      if (end > start) spans.push([start, end]);
    }
    return spans.length === 0 ? text : replaceSpans(text, spans, PLACEHOLDER.custom);
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Where a walked value's copy goes: an array index or an object key of its parent copy. */
type Slot = { parent: unknown[]; index: number } | { parent: Record<string, unknown>; key: string };

/**
 * Replaces PII in text with typed placeholders (`[EMAIL]`, `[PHONE]`, `[CARD]`, `[IP]`,
 * `[SECRET]`, `[IBAN]`, `[SSN]`, `[DOB]`, `[ADDRESS]`, and `[REDACTED]` for `extraPatterns`).
 * Synchronous, offline, idempotent (redacting redacted text changes nothing) and linear in the
 * input: every built-in pattern is checked free of super-linear backtracking, extra patterns
 * run on RE2, and a string past `maxFieldChars` is cut, its rest replaced by `[OVERSIZE]`.
 */
export class Redactor {
  /** Run on the whole text: extra patterns (any RE2 pattern can span lines), then secrets. */
  private readonly steps: readonly RedactStep[];
  private readonly maxFieldChars: number;
  private readonly onOversize: (droppedChars: number) => void;
  private readonly onUnverifiedPhones: (runs: number) => void;

  constructor(options: RedactorOptions) {
    const extra = options.enabled ? options.extraPatterns.map(compileExtraPattern) : [];
    if (options.enabled) phoneLibrary(); // loaded now, not in the first redaction
    // Our own patterns run first, so the built-in detectors cannot cut through them.
    this.steps = options.enabled ? [...extra.map(extraPatternStep), ...BUILT_IN_WHOLE_TEXT] : [];
    this.maxFieldChars = options.maxFieldChars ?? DEFAULT_MAX_FIELD_CHARS;
    this.onOversize = options.onOversize ?? (() => undefined);
    this.onUnverifiedPhones = options.onUnverifiedPhones ?? (() => undefined);
  }

  get enabled(): boolean {
    return this.steps.length > 0;
  }

  redact(text: string): string {
    if (this.steps.length === 0) return text;
    const [head, dropped] = this.cut(text);
    // Replacing one match can expose PII that was glued to it (`a@b.deJOHN_DOE@c.org`), so
    // passes repeat until nothing changes: that makes redaction idempotent. Text without PII
    // takes one pass; the cap only guards against extra patterns that match their own placeholder.
    let out = foldFullWidth(head);
    const run = newRedactRun();
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      const whole = this.steps.reduce((acc, step) => step(acc, run), out);
      const next = byChunks(whole, BUILT_IN_BY_LINE, run);
      if (next === out) break;
      out = next;
    }
    if (run.unverifiedPhones > 0) this.onUnverifiedPhones(run.unverifiedPhones);
    return dropped ? out + PLACEHOLDER.oversize : out;
  }

  /**
   * Returns a copy of a JSON-like value with every string redacted, object keys included
   * (two keys that become the same placeholder are told apart by a ` #2`, ` #3`… suffix).
   * A number whose digits are PII (a phone or card number sent as a JSON number) becomes
   * its placeholder string. Class instances (Date, Buffer…) are returned as they are. The
   * walk is iterative, so any depth is fine. Disabled, it returns `value` itself.
   */
  redactValue<T>(value: T): T {
    // The walk keeps the shape; only PII-bearing numbers change type, to a placeholder string.
    if (this.steps.length === 0) return value;
    const root: unknown[] = [undefined];
    const stack: { source: unknown; slot: Slot }[] = [{ source: value, slot: { parent: root, index: 0 } }];
    for (let task = stack.pop(); task !== undefined; task = stack.pop()) {
      const { source, slot } = task;
      let copy: unknown;
      if (Array.isArray(source)) {
        const items: unknown[] = new Array<unknown>(source.length);
        source.forEach((item: unknown, index) =>
          stack.push({ source: item, slot: { parent: items, index } }),
        );
        copy = items;
      } else if (isPlainObject(source)) {
        const entries: Record<string, unknown> = {};
        for (const [key, item] of Object.entries(source)) {
          const redactedKey = this.uniqueKey(entries, this.redact(key));
          // defineProperty: a `__proto__` key stays an own property instead of setting the prototype.
          Object.defineProperty(entries, redactedKey, {
            value: undefined,
            enumerable: true,
            writable: true,
            configurable: true,
          });
          stack.push({ source: item, slot: { parent: entries, key: redactedKey } });
        }
        copy = entries;
      } else {
        copy = this.redactScalar(source);
      }
      if ('index' in slot) slot.parent[slot.index] = copy;
      else slot.parent[slot.key] = copy;
    }
    return root[0] as T;
  }

  private redactScalar(value: unknown): unknown {
    if (typeof value === 'string') return this.redact(value);
    if (typeof value === 'number') {
      const digits = String(value);
      const redacted = this.redact(digits);
      return redacted === digits ? value : redacted;
    }
    return value;
  }

  private uniqueKey(taken: Record<string, unknown>, key: string): string {
    if (!Object.hasOwn(taken, key)) return key;
    let n = 2;
    while (Object.hasOwn(taken, `${key} #${n}`)) n++;
    return `${key} #${n}`;
  }

  /** The part of `text` that is read, and whether anything past it was dropped (counted). */
  private cut(text: string): [string, boolean] {
    if (text.length <= this.maxFieldChars) return [text, false];
    // Already cut (redacting twice): the head is within the cap, the marker is inert.
    if (
      text.endsWith(PLACEHOLDER.oversize) &&
      text.length <= this.maxFieldChars + PLACEHOLDER.oversize.length
    )
      return [text, false];
    let end = this.maxFieldChars;
    // Never split a surrogate pair; prefer whitespace, so no PII is cut in half and half-kept.
    if (/[\uD800-\uDBFF]/.test(text.charAt(end - 1))) end--;
    const space = text.slice(Math.max(0, end - CUT_BACKTRACK), end).search(/\s\S*$/);
    if (space >= 0) end = Math.max(0, end - CUT_BACKTRACK) + space + 1;
    this.onOversize(text.length - end);
    return [text.slice(0, end), true];
  }
}
