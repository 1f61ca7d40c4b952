import { isIP } from 'node:net';
import { z } from 'zod';

/**
 * Whose `X-Forwarded-For` the host believes (Fastify's `trustProxy`, so `request.ip` everywhere):
 * a hop count (`1`: the peer is one trusted proxy, take the address it appended) or addresses and
 * CIDRs of the proxies (`10.0.0.0/8, ::1`; also `loopback`, `linklocal`, `uniquelocal`), walked
 * from the right and stopping at the first address that is not trusted. Unset: the socket address,
 * X-Forwarded-For ignored — a client can write anything there.
 */
export type TrustedProxies = number | string[] | undefined;

const NAMED = new Set(['loopback', 'linklocal', 'uniquelocal']);

function validEntry(entry: string): boolean {
  if (NAMED.has(entry)) return true;
  const [address = '', bits, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

/** The `TRUSTED_PROXIES` variable, shared by every service of a process. */
export const TrustedProxiesEnv = {
  TRUSTED_PROXIES: z
    .string()
    .transform((s, ctx): number | string[] => {
      const value = s.trim();
      if (/^\d+$/.test(value)) {
        const hops = Number(value);
        if (hops <= 10) return hops;
      }
      const entries = value
        .split(',')
        .map((e) => e.trim())
        .filter(Boolean);
      const bad = entries.find((e) => !validEntry(e));
      if (bad !== undefined || entries.length === 0) {
        ctx.addIssue({
          code: 'custom',
          message: `a hop count (0–10) or comma-separated IP addresses/CIDRs (or loopback, linklocal, uniquelocal)${bad === undefined ? '' : `; not one: "${bad}"`}`,
        });
        return z.NEVER;
      }
      return entries;
    })
    .optional(),
};
