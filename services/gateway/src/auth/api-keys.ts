import { type ApiKeyConfig, ConfigError, type ConfigProblem, SecretSet } from '@flywheel/platform';

/** `admin` may force variants (`x-flywheel-variant`); `client` may not. */
export type CallerRole = 'admin' | 'client';

/** What one API key may do; the matched key is the bearer gate's label for the request. */
export interface ApiKey {
  /** a metrics and log label, never the secret */
  readonly name: string;
  readonly role: CallerRole;
  /** route names, or '*' for all */
  readonly routes: '*' | ReadonlySet<string>;
  /** model ids callable directly, or '*' for all */
  readonly models: '*' | ReadonlySet<string>;
  /** may send `system` / `developer` messages (the route's `allow_client_system` still applies) */
  readonly allowSystem: boolean;
  readonly limits: ApiKeyConfig['limits'];
}

/** The name of every FLYWHEEL_API_KEYS key: unscoped, unlimited (back-compat). */
export const ENV_KEYS_NAME = 'env:FLYWHEEL_API_KEYS';
/** The name of the gateway admin token (GATEWAY_ADMIN_TOKEN, else FLYWHEEL_ADMIN_TOKEN). */
export const ADMIN_TOKEN_NAME = 'env:GATEWAY_ADMIN_TOKEN';
/** The shortest secret a scoped key or the admin token may have. */
export const MIN_SECRET_LENGTH = 16;

const unscoped = (name: string, role: CallerRole): ApiKey => ({
  name,
  role,
  routes: '*',
  models: '*',
  allowSystem: true,
  limits: {},
});

export interface GatewayKeysOptions {
  /** FLYWHEEL_API_KEYS */
  apiKeys: readonly string[];
  /** GATEWAY_ADMIN_TOKEN, else FLYWHEEL_ADMIN_TOKEN */
  adminToken: string | undefined;
  /** flywheel.yaml `api_keys` */
  scoped: Readonly<Record<string, ApiKeyConfig>>;
  /** where `key_env` variables are read */
  env: NodeJS.ProcessEnv;
}

export interface GatewayKeys {
  secrets: SecretSet<ApiKey>;
  /** scoped keys whose `key_env` variable is unset: disabled, listed at boot */
  disabled: readonly string[];
  /** how many secrets are accepted */
  count: number;
}

/**
 * The gateway's credentials for the host's bearer gate, each labelled with its {@link ApiKey}.
 * Order decides when two secrets are equal: the admin token first, then the scoped keys, then
 * FLYWHEEL_API_KEYS. A scoped key whose secret is shorter than {@link MIN_SECRET_LENGTH} stops
 * boot (ConfigError naming `api_keys.<name>.key_env`).
 */
export function gatewayKeys(options: GatewayKeysOptions): GatewayKeys {
  const entries: { secret: string; label: ApiKey }[] = [];
  if (options.adminToken)
    entries.push({ secret: options.adminToken, label: unscoped(ADMIN_TOKEN_NAME, 'admin') });
  const problems: ConfigProblem[] = [];
  const disabled: string[] = [];
  for (const [name, config] of Object.entries(options.scoped)) {
    const secret = options.env[config.key_env];
    if (!secret) {
      disabled.push(name);
      continue;
    }
    if (secret.length < MIN_SECRET_LENGTH) {
      problems.push({
        path: `api_keys.${name}.key_env`,
        message: `${config.key_env} must hold at least ${MIN_SECRET_LENGTH} characters`,
      });
      continue;
    }
    entries.push({ secret, label: scopedKey(name, config) });
  }
  if (problems.length > 0) throw new ConfigError('environment', problems);
  const envKey = unscoped(ENV_KEYS_NAME, 'client');
  for (const secret of options.apiKeys) entries.push({ secret, label: envKey });
  return { secrets: new SecretSet<ApiKey>(entries), disabled, count: entries.length };
}

function scopedKey(name: string, config: ApiKeyConfig): ApiKey {
  const set = (list: '*' | string[]) => (list === '*' ? '*' : new Set(list));
  return {
    name,
    role: config.role,
    routes: set(config.routes),
    models: set(config.models),
    allowSystem: config.allow_system,
    limits: config.limits,
  };
}
