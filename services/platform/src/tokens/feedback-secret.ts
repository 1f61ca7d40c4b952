import { createSecretKey, type KeyObject } from 'node:crypto';

/** HMAC keys shorter than this are refused: 32 bytes = SHA-256's output size (RFC 2104 §3). */
export const MIN_SECRET_BYTES = 32;

export class WeakSecretError extends Error {
  readonly code = 'WEAK_SECRET';
  override readonly name = 'WeakSecretError';
}

/**
 * Throws a {@link WeakSecretError} unless `secret` has at least 32 bytes (UTF-8). Call it at
 * boot on FLYWHEEL_FEEDBACK_SECRET; every mint, verify and hash checks it too.
 */
export function assertFeedbackSecret(secret: string): void {
  if (typeof secret !== 'string' || Buffer.byteLength(secret, 'utf8') < MIN_SECRET_BYTES) {
    throw new WeakSecretError(
      `FLYWHEEL_FEEDBACK_SECRET must be at least ${MIN_SECRET_BYTES} bytes; generate one with: openssl rand -base64 48`,
    );
  }
}

let cached: { secret: string; key: KeyObject } | undefined;

/**
 * The HMAC key object of `secret`, checked by {@link assertFeedbackSecret}: made once and reused
 * while the process keeps using the same secret (every answer mints a token and hashes a subject).
 */
export function feedbackKey(secret: string): KeyObject {
  if (cached !== undefined && cached.secret === secret) return cached.key;
  assertFeedbackSecret(secret);
  cached = { secret, key: createSecretKey(Buffer.from(secret, 'utf8')) };
  return cached.key;
}
