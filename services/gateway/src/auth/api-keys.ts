import { createHash, timingSafeEqual } from 'node:crypto';

/** `admin` holds FLYWHEEL_ADMIN_TOKEN (may force variants); `client` holds a FLYWHEEL_API_KEYS key. */
export type CallerRole = 'admin' | 'client';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * The gateway's credentials, compared in constant time like the platform's `matchesSecret`
 * (SHA-256 digests of equal length, every key compared, no early exit), except that the keys'
 * digests are computed once at boot: a request costs one hash, not one per configured key.
 */
export class ApiKeys {
  private readonly keys: readonly { digest: Buffer; role: CallerRole }[];

  constructor(keys: readonly string[], adminToken: string | undefined) {
    this.keys = [
      ...(adminToken ? [{ digest: digest(adminToken), role: 'admin' as const }] : []),
      ...keys.map((key) => ({ digest: digest(key), role: 'client' as const })),
    ];
  }

  /** The role of a presented bearer token, or null when it is missing or unknown. */
  roleOf(token: string | undefined): CallerRole | null {
    if (!token) return null;
    const presented = digest(token);
    let role: CallerRole | null = null;
    for (const key of this.keys) {
      // the admin token is listed first: a key equal to it still makes its holder admin
      if (timingSafeEqual(presented, key.digest) && role === null) role = key.role;
    }
    return role;
  }
}
