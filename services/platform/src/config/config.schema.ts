import { RE2JS } from 're2js';
import { z } from 'zod';
import { RolloutsConfig } from './rollouts-config';

/**
 * flywheel.yaml (FLYWHEEL_CONFIG), validated once at boot by `loadConfig`. Secrets never
 * appear here: `*_env` keys name the environment variable that holds them.
 *
 * This schema checks each value on its own; references between sections (model → provider,
 * chain → model, default_variant → variant) and `output_schema` files are checked by the
 * loader, which reports every problem with its YAML path.
 */

const Name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/, 'letters, digits and . _ : / - only');
const EnvVarName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name (A-Z, 0-9, _)');
/** A browser origin as sent in the `Origin` header: scheme://host[:port], nothing after. */
const Origin = z
  .string()
  .regex(
    /^https?:\/\/[^/?#\s]+$/,
    'an origin like https://app.example.com (scheme://host[:port], no path or trailing slash)',
  );
/** A redaction pattern: RE2 syntax (matched in linear time by re2js, see platform/src/redaction). */
const RegexSource = z.string().superRefine((source, ctx) => {
  try {
    RE2JS.compile(source);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `invalid regular expression: ${(err as Error).message}` });
  }
});

export const ProviderConfig = z.strictObject({
  /**
   * which client talks to it: one of the gateway's registered provider kinds (`openai`, which
   * also covers OpenAI-compatible servers via base_url, and `anthropic`); the gateway checks it
   * at boot against its registry, the one place kinds are declared
   */
  kind: z.string().min(1),
  base_url: z.url({ protocol: /^https?$/, error: 'an http(s) URL' }).optional(),
  api_key_env: EnvVarName,
  timeout_ms: z.number().int().positive().max(600_000).default(30_000),
});
export type ProviderConfig = z.infer<typeof ProviderConfig>;

export const ModelConfig = z.strictObject({
  provider: Name,
  /** the provider's model name */
  model: z.string().min(1),
  price: z
    .strictObject({
      input_per_mtok: z.number().nonnegative(),
      output_per_mtok: z.number().nonnegative(),
    })
    .default({ input_per_mtok: 0, output_per_mtok: 0 }),
  /**
   * an embedding model: serves `POST /v1/embeddings` only, and a route's chain is all embedding
   * models or none (checked at boot); its provider must have an embeddings API (`kind: openai`)
   */
  embedding: z.boolean().optional(),
});
export type ModelConfig = z.infer<typeof ModelConfig>;

/** A JSON Schema (draft 2020-12) object: what `output_schema` holds once loaded. */
export type JsonSchema = Record<string, unknown>;

/** A JSON Schema object, inline, or `{ file: path }` relative to the config file (resolved by the loader). */
export const JsonSchemaRef = z.union(
  [z.strictObject({ file: z.string().min(1) }), z.record(z.string(), z.unknown())],
  {
    error: 'expected a JSON Schema object, or {file: path} relative to the config file',
  },
);

/**
 * Prompt-injection guardrails of a variant: a `canary` (a secret string placed in `system`)
 * and/or `max_verbatim_chars` (the longest run of the system prompt an answer may repeat).
 * An answer that leaks either is refused, or replaced with `replacement`.
 */
export const GuardrailsConfig = z
  .strictObject({
    /** a string that appears in `system` and must never appear in an answer (ASCII case ignored) */
    canary: z.string().min(8).max(256).optional(),
    /** an answer may not contain this many consecutive characters of `system` verbatim */
    max_verbatim_chars: z.number().int().min(16).max(4096).optional(),
    on_leak: z.enum(['refuse', 'replace']).default('refuse'),
    /** the answer sent instead of a leaking one (`on_leak: replace`) */
    replacement: z.string().min(1).max(4096).optional(),
  })
  .superRefine((g, ctx) => {
    if (g.canary === undefined && g.max_verbatim_chars === undefined) {
      ctx.addIssue({ code: 'custom', message: 'set canary, max_verbatim_chars or both' });
    }
    if (g.on_leak === 'replace' && g.replacement === undefined) {
      ctx.addIssue({ code: 'custom', path: ['replacement'], message: 'required with on_leak: replace' });
    }
  });
export type GuardrailsConfig = z.infer<typeof GuardrailsConfig>;

export const VariantConfig = z
  .strictObject({
    /** model ids from `models`, tried in order */
    chain: z.array(Name).min(1),
    system: z.string().optional(),
    /** message template for /v1/routes/{route}/invoke with `input`: `{{var}}` placeholders */
    prompt: z.string().optional(),
    temperature: z.number().min(0).max(2).optional(),
    max_tokens: z.number().int().positive().optional(),
    output_schema: JsonSchemaRef.optional(),
    repair: z.strictObject({ reask: z.number().int().min(0).max(2).default(1) }).optional(),
    /** per-attempt timeout */
    timeout_ms: z.number().int().positive().optional(),
    first_token_timeout_ms: z.number().int().positive().optional(),
    /** overall deadline for the whole chain */
    deadline_ms: z.number().int().positive().optional(),
    /** may the client send its own system message? */
    allow_client_system: z.boolean().default(false),
    guardrails: GuardrailsConfig.optional(),
  })
  .superRefine((v, ctx) => {
    const g = v.guardrails;
    if (g === undefined) return;
    if (v.system === undefined) {
      ctx.addIssue({ code: 'custom', path: ['guardrails'], message: 'guardrails protect `system`: set it' });
      return;
    }
    if (g.canary !== undefined && !v.system.includes(g.canary)) {
      ctx.addIssue({
        code: 'custom',
        path: ['guardrails', 'canary'],
        message: 'the canary must appear in `system`',
      });
    }
    if (g.on_leak === 'replace' && v.output_schema !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['guardrails', 'on_leak'],
        message: 'a variant with output_schema must refuse (a replacement text is not its JSON)',
      });
    }
  });
/** A variant as loaded: `output_schema` is always the JSON Schema itself, never `{file}`. */
export type VariantConfig = Omit<z.infer<typeof VariantConfig>, 'output_schema'> & {
  output_schema?: JsonSchema;
};

export const RouteConfig = z.strictObject({
  /** OpenFeature flag whose string value is the variant name */
  flag: Name,
  default_variant: Name,
  variants: z.record(Name, VariantConfig),
  /**
   * `at_source`: the gateway redacts the interaction event (prompt, input, output) before it
   * leaves the process, so raw PII never reaches Kafka or the spool. Absent: the curator redacts.
   */
  redaction: z.enum(['at_source']).optional(),
});
export type RouteConfig = Omit<z.infer<typeof RouteConfig>, 'variants'> & {
  variants: Record<string, VariantConfig>;
};

export const FeedbackConfig = z.strictObject({
  /** CORS allowlist for the widget: exact origins */
  allowed_origins: z.array(Origin).default([]),
  token_ttl_s: z
    .number()
    .int()
    .positive()
    .default(7 * 24 * 3600),
  reasons: z.array(Name).default(['incorrect', 'unhelpful', 'wrong_format', 'unsafe', 'other']),
});
export type FeedbackConfig = z.infer<typeof FeedbackConfig>;

export const CuratorConfig = z.strictObject({
  join_ttl_s: z.number().int().positive().default(600),
  retention_days: z.number().int().positive().default(30),
  redaction: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** extra regexes (source strings) redacted on top of the built-in PII patterns */
      extra_patterns: z.array(RegexSource).default([]),
      /** characters of one string that are read; the rest is replaced by `[OVERSIZE]` unread */
      max_field_chars: z
        .number()
        .int()
        .min(1024)
        .max(16 * 1024 * 1024)
        .default(256 * 1024),
    })
    .prefault({}),
});
export type CuratorConfig = z.infer<typeof CuratorConfig>;

/** The most `max_tokens` any request may ask for, whatever its key (GATEWAY_MAX_TOKENS_LIMIT may lower it). */
export const MAX_TOKENS_CEILING = 1_000_000;

/**
 * What one scoped gateway API key may do. The secret is in the environment variable
 * `key_env`; the key's name labels metrics and logs (never the secret).
 */
export const ApiKeyConfig = z
  .strictObject({
    /** the environment variable holding the secret (at least 16 characters) */
    key_env: EnvVarName,
    /** `admin` may also force a variant (`x-flywheel-variant`) */
    role: z.enum(['client', 'admin']).default('client'),
    /** route names this key may call, or '*' for every route */
    routes: z.union([z.literal('*'), z.array(Name)]).default([]),
    /** model ids this key may call directly (`"model": "<id>"`), or '*'; [] = none */
    models: z.union([z.literal('*'), z.array(Name)]).default([]),
    /** may the key send `system` / `developer` messages (the route must allow them too) */
    allow_system: z.boolean().default(false),
    limits: z
      .strictObject({
        requests_per_min: z.number().int().positive().optional(),
        /** prompt + completion tokens per minute (see the README for how they are counted) */
        tokens_per_min: z.number().int().positive().optional(),
        /** the largest `max_tokens` / `max_completion_tokens` a request may ask for */
        max_tokens: z.number().int().positive().max(MAX_TOKENS_CEILING).optional(),
        /** requests of this key in flight at once, across every gateway process */
        concurrent: z.number().int().positive().optional(),
      })
      .prefault({}),
  })
  .superRefine((k, ctx) => {
    const { max_tokens, tokens_per_min } = k.limits;
    if (max_tokens !== undefined && tokens_per_min !== undefined && max_tokens > tokens_per_min) {
      ctx.addIssue({
        code: 'custom',
        path: ['limits', 'max_tokens'],
        message: `at most limits.tokens_per_min (${tokens_per_min}), or no request could pass`,
      });
    }
  });
export type ApiKeyConfig = z.infer<typeof ApiKeyConfig>;

/** Key names starting `env:` are the gateway's own (FLYWHEEL_API_KEYS, the admin token). */
const KeyName = Name.refine((n) => !n.startsWith('env:'), 'names starting with "env:" are reserved');

/** The file as written; `loadConfig` returns a {@link FlywheelConfig} (schema files resolved). */
export const FlywheelConfigSchema = z.strictObject({
  providers: z.record(Name, ProviderConfig).default({}),
  models: z.record(Name, ModelConfig).default({}),
  routes: z.record(Name, RouteConfig).default({}),
  feedback: FeedbackConfig.prefault({}),
  curator: CuratorConfig.prefault({}),
  /** scoped gateway API keys: name → scope and limits (FLYWHEEL_API_KEYS stay unscoped) */
  api_keys: z.record(KeyName, ApiKeyConfig).default({}),
  /** guarded rollouts, one plan per route (rollouts-config.ts) */
  rollouts: RolloutsConfig.default({}),
});
/** The file after zod parsing, before the loader resolves `output_schema: {file}`. */
export type ParsedFlywheelConfig = z.infer<typeof FlywheelConfigSchema>;
/** The loaded, cross-checked configuration. */
export type FlywheelConfig = Omit<ParsedFlywheelConfig, 'routes'> & { routes: Record<string, RouteConfig> };
