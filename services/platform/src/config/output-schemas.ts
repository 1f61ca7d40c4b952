import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { PathProblem } from './format-issues';
import type Ajv2020 from 'ajv/dist/2020';
import { createJsonSchemaValidator, jsonSchemaProblem } from './json-schema';
import { forEachVariant, isMapping } from './raw-config';

function isFileRef(value: unknown): value is { file: string } {
  return isMapping(value) && Object.keys(value).length === 1 && typeof value.file === 'string';
}

function readSchemaFile(path: string): { schema: Record<string, unknown> } | { error: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return { error: `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { error: `${path} is not valid JSON: ${(err as Error).message}` };
  }
  return isMapping(parsed)
    ? { schema: parsed }
    : { error: `${path} must hold a JSON object (a JSON Schema)` };
}

/**
 * For every variant's `output_schema`: replaces `{file: path}` in the raw data with the parsed
 * JSON file (path relative to `baseDir`, the config file's directory), then compiles the schema
 * with the draft 2020-12 validator. Mutates `raw` (the loader's own copy of the YAML data) and
 * returns every problem found.
 */
export function resolveOutputSchemas(raw: unknown, baseDir: string): PathProblem[] {
  const problems: PathProblem[] = [];
  let ajv: Ajv2020 | undefined;
  forEachVariant(raw, (variant, variantPath) => {
    const path = [...variantPath, 'output_schema'];
    let source = 'inline';
    if (isFileRef(variant.output_schema)) {
      source = variant.output_schema.file;
      const loaded = readSchemaFile(resolve(baseDir, source));
      if ('error' in loaded) {
        problems.push({ path: [...path, 'file'], message: loaded.error });
        return;
      }
      variant.output_schema = loaded.schema;
    }
    if (!isMapping(variant.output_schema)) return;
    ajv ??= createJsonSchemaValidator();
    const problem = jsonSchemaProblem(ajv, variant.output_schema);
    if (problem) problems.push({ path, message: `${problem} (schema: ${source})` });
  });
  return problems;
}
