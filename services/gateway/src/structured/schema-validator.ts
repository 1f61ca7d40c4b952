import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { JsonSchema } from '../config.types';
import type { OutputSchemaSpec } from '../llm/llm.types';

/** One validation failure: a JSON Pointer into the output (`/` for the root) and what is wrong. */
export interface ValidationIssue {
  path: string;
  message: string;
}

/** A schema compiled once: what providers are asked for, and the check of what they answer. */
export interface CompiledSchema {
  readonly spec: OutputSchemaSpec;
  /** `undefined` when `value` is valid, else every issue found. */
  validate(value: unknown): ValidationIssue[] | undefined;
}

const NAME_PATTERN = /[^A-Za-z0-9_-]/g;
const DEFAULT_NAME = 'output';

/** The json_schema / tool name: the schema's `title` made safe, else `output`. */
export function schemaName(schema: JsonSchema): string {
  const title = typeof schema.title === 'string' ? schema.title.replace(NAME_PATTERN, '_').slice(0, 64) : '';
  return title === '' ? DEFAULT_NAME : title;
}

function toIssue(e: ErrorObject): ValidationIssue {
  let message = e.message ?? e.keyword;
  if (e.keyword === 'additionalProperties') message += `: '${String(e.params.additionalProperty)}'`;
  return { path: e.instancePath === '' ? '/' : e.instancePath, message };
}

/**
 * Compiles each `output_schema` once (cached by object identity: the loaded config's schema
 * objects live as long as the process). Same dialect and options as the config loader
 * (draft 2020-12, all errors, strict), so a schema that loads is a schema that compiles.
 * `addUsedSchema: false` lets two variants share a schema that carries an `$id`.
 */
export class SchemaValidator {
  private readonly ajv: Ajv2020;
  private readonly cache = new WeakMap<JsonSchema, CompiledSchema>();

  constructor() {
    this.ajv = new Ajv2020({
      allErrors: true,
      strict: true,
      strictTypes: false,
      strictTuples: false,
      addUsedSchema: false,
    });
    // formats only: ajv-formats' formatMinimum/… keywords need the ajv copy it resolves itself
    addFormats(this.ajv, { mode: 'full', keywords: false });
  }

  /** The compiled schema; compiles on first use. Throws if `schema` is not a valid JSON Schema. */
  get(schema: JsonSchema): CompiledSchema {
    let compiled = this.cache.get(schema);
    if (!compiled) {
      compiled = this.compile(schema);
      this.cache.set(schema, compiled);
    }
    return compiled;
  }

  private compile(schema: JsonSchema): CompiledSchema {
    const fn: ValidateFunction = this.ajv.compile(schema);
    return {
      spec: { name: schemaName(schema), schema },
      validate(value: unknown): ValidationIssue[] | undefined {
        return fn(value) ? undefined : (fn.errors ?? []).map(toIssue);
      },
    };
  }
}
