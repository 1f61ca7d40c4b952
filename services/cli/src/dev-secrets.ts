import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface DevSecrets {
  /** an unscoped gateway client key (FLYWHEEL_API_KEYS) */
  apiKey: string;
  /** the /demo page's key (FLYWHEEL_DEMO_API_KEY), scoped by `api_keys.demo` in flywheel.yaml */
  demoKey: string;
  /** the curator's admin token (FLYWHEEL_ADMIN_TOKEN): triage API, console */
  adminToken: string;
  /** the gateway's admin token (GATEWAY_ADMIN_TOKEN): may force variants (eval runner) */
  gatewayAdminToken: string;
  feedbackSecret: string;
}

/**
 * Secrets for the all-in-one dev start: taken from the environment when set, else generated
 * once and kept in `file` (mode 0600, under the git-ignored .flywheel/) so tokens minted
 * before a restart stay valid after it.
 */
export function devSecrets(env: NodeJS.ProcessEnv, file: string): DevSecrets {
  const stored: Partial<DevSecrets> = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<DevSecrets>)
    : {};
  const gen = (prefix: string) => `${prefix}${randomBytes(24).toString('base64url')}`;
  const secrets: DevSecrets = {
    apiKey: stored.apiKey ?? gen('fw-dev-'),
    demoKey: stored.demoKey ?? gen('fw-demo-'),
    adminToken: stored.adminToken ?? gen('fw-admin-'),
    gatewayAdminToken: stored.gatewayAdminToken ?? gen('fw-gw-admin-'),
    feedbackSecret: stored.feedbackSecret ?? randomBytes(48).toString('base64url'),
  };
  if (JSON.stringify(secrets) !== JSON.stringify(stored)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600 });
  }
  return {
    ...secrets,
    apiKey: env.FLYWHEEL_API_KEYS?.split(',')[0]?.trim() || secrets.apiKey,
    demoKey: env.FLYWHEEL_DEMO_API_KEY || secrets.demoKey,
    adminToken: env.FLYWHEEL_ADMIN_TOKEN || secrets.adminToken,
    gatewayAdminToken: env.GATEWAY_ADMIN_TOKEN || secrets.gatewayAdminToken,
    feedbackSecret: env.FLYWHEEL_FEEDBACK_SECRET || secrets.feedbackSecret,
  };
}
