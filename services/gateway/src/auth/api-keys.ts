import { SecretSet } from '@flywheel/platform';

/** `admin` holds FLYWHEEL_ADMIN_TOKEN (may force variants); `client` holds a FLYWHEEL_API_KEYS key. */
export type CallerRole = 'admin' | 'client';

/**
 * The gateway's credentials, labelled with roles, for the host's bearer gate. The admin token is
 * listed first: a key equal to it still makes its holder admin.
 */
export function gatewayKeys(keys: readonly string[], adminToken: string | undefined): SecretSet<CallerRole> {
  return new SecretSet<CallerRole>([
    ...(adminToken ? [{ secret: adminToken, label: 'admin' as const }] : []),
    ...keys.map((secret) => ({ secret, label: 'client' as const })),
  ]);
}
