import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * True when `presented` equals one of `secrets`, compared in constant time: both sides are
 * hashed to equal-length digests first, and every secret is compared (no early exit), so
 * neither length nor position leaks through timing.
 */
export function matchesSecret(presented: string | undefined, secrets: readonly string[]): boolean {
  if (!presented) return false;
  const p = digest(presented);
  let ok = false;
  for (const s of secrets) ok = timingSafeEqual(p, digest(s)) || ok;
  return ok;
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const m = value?.match(/^Bearer\s+(\S+)\s*$/i);
  return m?.[1];
}
