import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface DevSecrets {
  apiKey: string;
  /** a second gateway key, handed to the /demo page in the browser */
  demoKey: string;
  adminToken: string;
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
    feedbackSecret: stored.feedbackSecret ?? randomBytes(48).toString('base64url'),
  };
  if (JSON.stringify(secrets) !== JSON.stringify(stored)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600 });
  }
  return {
    ...secrets,
    apiKey: env.FLYWHEEL_API_KEYS?.split(',')[0]?.trim() || secrets.apiKey,
    adminToken: env.FLYWHEEL_ADMIN_TOKEN || secrets.adminToken,
    feedbackSecret: env.FLYWHEEL_FEEDBACK_SECRET || secrets.feedbackSecret,
  };
}
