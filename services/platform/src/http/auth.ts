import * as crypto from 'node:crypto';

/**
 * SHA-256 of a secret. Node ≥ 20.12 has the one-shot `crypto.hash`, which skips the Hash object
 * `createHash` makes: every authenticated request hashes its bearer token once. Node 20.9–20.11
 * (still in `engines`) lack it.
 */
const digest: (s: string) => Buffer =
  typeof crypto.hash === 'function'
    ? (s) => crypto.hash('sha256', s, 'buffer')
    : (s) => crypto.createHash('sha256').update(s).digest();

/**
 * A set of secrets (API keys, admin tokens), each with a label such as a role, checked in
 * constant time: the presented value and every secret are hashed to equal-length SHA-256
 * digests and every secret is compared (no early exit), so neither length nor position leaks
 * through timing. The secrets' digests are computed once, so a check costs one hash.
 */
export class SecretSet<L = true> {
  private readonly entries: readonly { digest: Buffer; label: L }[];

  /** Earlier entries win when two secrets are equal. */
  constructor(entries: readonly { secret: string; label: L }[]) {
    this.entries = entries.map((e) => ({ digest: digest(e.secret), label: e.label }));
  }

  /** The label of the secret equal to `presented`, or null when it is missing or unknown. */
  match(presented: string | undefined): L | null {
    if (!presented) return null;
    const p = digest(presented);
    let found: { label: L } | null = null;
    for (const entry of this.entries) {
      if (crypto.timingSafeEqual(p, entry.digest) && found === null) found = entry;
    }
    return found === null ? null : found.label;
  }
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const m = value?.match(/^Bearer\s+(\S+)\s*$/i);
  return m?.[1];
}
