import { z } from 'zod';
import { ConfigError } from './config-error';
import { zodIssuesToProblems } from './format-issues';

/** A service's env schema: variable names → zod types, optionally piped into the typed, nested object the service uses. */
export type EnvSchema = z.ZodObject | z.ZodPipe<z.ZodObject, z.ZodType>;

/**
 * Parses a service's environment once at boot: `schema` maps variable names to zod types
 * (use `z.coerce.number()` for numbers, {@link commaList} for lists), and may `.transform()`
 * them into the service's config object, whose type is then `z.output<typeof schema>` (one
 * declaration per fact). Empty strings count as unset, so `FOO=` falls back to the default. A
 * bad or missing value throws a {@link ConfigError} naming every offending variable; values
 * are never echoed (they may be secrets).
 */
export function parseEnv<S extends EnvSchema>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  const input: Record<string, string> = {};
  const object: z.ZodObject = schema instanceof z.ZodObject ? schema : (schema.in as z.ZodObject);
  for (const key of Object.keys(object.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const parsed = schema.safeParse(input, { reportInput: true });
  if (parsed.success) return parsed.data as z.output<S>;
  throw new ConfigError(
    'environment',
    zodIssuesToProblems(parsed.error.issues).map((p) => ({
      path: p.path.map(String).join('.'),
      message: p.message,
    })),
  );
}

/** `"a, b,,c"` → `['a', 'b', 'c']`: comma-separated env values such as FLYWHEEL_API_KEYS. */
export const commaList = z.string().transform((s) =>
  s
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0),
);
