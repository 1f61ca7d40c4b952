import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

/** The only JSON Schema dialect Flywheel accepts for `output_schema`. */
export const JSON_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

/**
 * The Ajv instance every `output_schema` is compiled with: JSON Schema draft 2020-12 (the
 * dialect zod's `toJSONSchema` and the contracts' JSON Schemas emit), `ajv-formats` formats,
 * strict about unknown keywords (a typo like `requried` fails at boot instead of silently
 * validating nothing), all errors reported. The config loader and the gateway must use the same
 * options, so a schema that loads is a schema that validates.
 */
export function createJsonSchemaValidator(): Ajv2020 {
  const ajv = new Ajv2020({
    allErrors: true,
    // compile() must not register schemas by $id: variants may share one schema, and a
    // long-lived gateway instance compiles each variant's schema separately.
    addUsedSchema: false,
    strictSchema: true,
    strictNumbers: true,
    strictRequired: false,
    strictTypes: false,
    strictTuples: false,
  });
  addFormats(ajv);
  return ajv;
}

/**
 * Compiles `schema` and returns why it cannot be used, or `undefined` when it compiles. A
 * `$schema` other than draft 2020-12 is refused with a clear reason rather than Ajv's
 * "no schema with key or ref".
 */
export function jsonSchemaProblem(ajv: Ajv2020, schema: Record<string, unknown>): string | undefined {
  const dialect = schema.$schema;
  if (dialect !== undefined && String(dialect).replace(/#$/, '') !== JSON_SCHEMA_DIALECT) {
    return `unsupported $schema ${JSON.stringify(dialect)}: output schemas use JSON Schema draft 2020-12 (${JSON_SCHEMA_DIALECT}); drop $schema or change it`;
  }
  try {
    ajv.compile(schema);
    return undefined;
  } catch (err) {
    return `invalid JSON Schema: ${(err as Error).message}`;
  }
}
