import { SecretSet } from '@flywheel/platform';

/** `admin` holds FLYWHEEL_ADMIN_TOKEN (may force variants); `client` holds a FLYWHEEL_API_KEYS key. */
export type CallerRole = 'admin' | 'client';

/** The gateway's credentials: a constant-time {@link SecretSet} labelled with roles. */
export class ApiKeys {
  private readonly keys: SecretSet<CallerRole>;

  constructor(keys: readonly string[], adminToken: string | undefined) {
    // the admin token is listed first: a key equal to it still makes its holder admin
    this.keys = new SecretSet<CallerRole>([
      ...(adminToken ? [{ secret: adminToken, label: 'admin' as const }] : []),
      ...keys.map((secret) => ({ secret, label: 'client' as const })),
    ]);
  }

  /** The role of a presented bearer token, or null when it is missing or unknown. */
  roleOf(token: string | undefined): CallerRole | null {
    return this.keys.match(token);
  }
}
