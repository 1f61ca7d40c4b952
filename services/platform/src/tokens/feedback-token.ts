import { createHmac, type KeyObject, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { feedbackKey } from './feedback-secret';

/**
 * Feedback tokens (docs/architecture.md "Still as designed"): `base64url(payload) "." base64url(HMAC-SHA256(secret, payload))`
 * where payload is the JSON bytes below. The gateway mints one per answer; the feedback service
 * accepts a vote only with a valid, unexpired token for that interaction.
 */
export const FeedbackTokenPayload = z.strictObject({
  v: z.literal(1),
  interaction_id: z.string().min(1).max(200),
  /** null for direct model calls (no route) */
  route: z.string().min(1).max(200).nullable(),
  variant: z.string().min(1).max(200),
  /** {@link subjectHash} of the targeting key */
  sub: z.string().regex(/^[0-9a-f]{64}$/),
  /** expiry, unix seconds */
  exp: z.number().int().positive(),
  /**
   * `<trace id>-<span id>` of the gateway span that served the interaction, when tracing was on:
   * the feedback service records the vote in that trace. Optional (tokens without it stay valid).
   */
  trace: z
    .string()
    .regex(/^[0-9a-f]{32}-[0-9a-f]{16}$/)
    .optional(),
});
export type FeedbackTokenPayload = z.infer<typeof FeedbackTokenPayload>;
/** What the caller supplies; `v` is added by {@link mintFeedbackToken}. */
export type FeedbackTokenClaims = Omit<FeedbackTokenPayload, 'v'>;

export type FeedbackTokenFailure = 'malformed' | 'bad_signature' | 'expired';
export type FeedbackTokenVerification =
  { ok: true; payload: FeedbackTokenPayload } | { ok: false; reason: FeedbackTokenFailure };

/** Far above any real token (~300 chars); longer input is refused before any work. */
const MAX_TOKEN_CHARS = 2048;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const SIGNATURE_BYTES = 32;

function sign(payload: Buffer, key: KeyObject): Buffer {
  return createHmac('sha256', key).update(payload).digest();
}

/** Strict base64url: only the URL alphabet, no padding, and the one canonical encoding. */
function decodeBase64url(part: string): Buffer | undefined {
  if (!BASE64URL.test(part)) return undefined;
  const bytes = Buffer.from(part, 'base64url');
  return bytes.toString('base64url') === part ? bytes : undefined;
}

/** Throws on claims that do not fit the payload schema (a bug in the caller, not user input). */
export function mintFeedbackToken(claims: FeedbackTokenClaims, secret: string): string {
  const key = feedbackKey(secret);
  return encode(FeedbackTokenPayload.parse({ v: 1, ...claims }), key);
}

/**
 * The token {@link mintFeedbackToken} mints, byte for byte, for claims the caller built itself
 * from values that fit the schema by construction (the gateway: a random UUID, route and variant
 * names from its validated config, a {@link subjectHash}, an integer expiry, the active span's
 * ids), without parsing them against the schema again: on the gateway's hot path that parse
 * cost about as much CPU as the HMAC and allocated ~1 KB per answer. The feedback service
 * still verifies every token it receives against the schema.
 */
export function mintTrustedFeedbackToken(claims: FeedbackTokenClaims, secret: string): string {
  const key = feedbackKey(secret);
  // the schema's key order, so the payload bytes are the ones the parsed payload serializes to
  const payload: FeedbackTokenPayload = {
    v: 1,
    interaction_id: claims.interaction_id,
    route: claims.route,
    variant: claims.variant,
    sub: claims.sub,
    exp: claims.exp,
  };
  if (claims.trace !== undefined) payload.trace = claims.trace;
  return encode(payload, key);
}

function encode(payload: FeedbackTokenPayload, key: KeyObject): string {
  const bytes = Buffer.from(JSON.stringify(payload), 'utf8');
  return `${bytes.toString('base64url')}.${sign(bytes, key).toString('base64url')}`;
}

/**
 * Checks a token from the outside world. Never throws on any `token`; the signature is compared
 * in constant time before the payload is parsed. `nowMs` is the caller's clock (inject it).
 */
export function verifyFeedbackToken(
  token: unknown,
  secret: string,
  nowMs: number,
): FeedbackTokenVerification {
  const key = feedbackKey(secret);
  if (typeof token !== 'string' || token.length > MAX_TOKEN_CHARS) return { ok: false, reason: 'malformed' };
  const parts = token.split('.');
  if (parts.length !== 2) return { ok: false, reason: 'malformed' };
  const payloadBytes = decodeBase64url(parts[0] as string);
  const signature = decodeBase64url(parts[1] as string);
  if (!payloadBytes || !signature || signature.length !== SIGNATURE_BYTES)
    return { ok: false, reason: 'malformed' };

  if (!timingSafeEqual(sign(payloadBytes, key), signature)) return { ok: false, reason: 'bad_signature' };

  let json: unknown;
  try {
    json = JSON.parse(payloadBytes.toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const payload = FeedbackTokenPayload.safeParse(json);
  if (!payload.success) return { ok: false, reason: 'malformed' };
  if (payload.data.exp * 1000 <= nowMs) return { ok: false, reason: 'expired' };
  return { ok: true, payload: payload.data };
}
