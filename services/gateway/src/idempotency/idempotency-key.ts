import { createHash, type Hash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { DomainError } from '@flywheel/platform';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
/** Replayed answers carry this header, so a client can tell (as Stripe's API does). */
export const REPLAYED_HEADER = 'idempotent-replayed';
const MAX_KEY_LENGTH = 255;
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

function invalid(message: string): DomainError {
  return new DomainError('invalid_request', `${IDEMPOTENCY_HEADER}: ${message}`, {
    issues: [{ path: `headers.${IDEMPOTENCY_HEADER}`, message }],
  });
}

/**
 * The request's `Idempotency-Key`, or undefined without one. The draft's structured-field form
 * (`"abc"`) and a bare token (`abc`) name the same key; 1–255 printable ASCII characters.
 */
export function idempotencyKey(headers: IncomingHttpHeaders): string | undefined {
  const raw = headers[IDEMPOTENCY_HEADER];
  if (raw === undefined) return undefined;
  if (Array.isArray(raw)) throw invalid('send the header once');
  const value = raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
  if (value.length === 0) throw invalid('must not be empty');
  if (value.length > MAX_KEY_LENGTH) throw invalid(`at most ${MAX_KEY_LENGTH} characters`);
  if (!PRINTABLE_ASCII.test(value)) throw invalid('printable ASCII characters only');
  return value;
}

/**
 * Whose keys these are: a digest of the caller's API key (the key itself is never stored), so
 * two API keys may use the same Idempotency-Key without meeting.
 */
export function idempotencyScope(apiKey: string): string {
  return createHash('sha256')
    .update('flywheel idempotency scope\0')
    .update(apiKey)
    .digest('hex')
    .slice(0, 32);
}

/**
 * What a request asked, as a digest: the endpoint and the JSON body in a canonical form (object
 * keys sorted, so key order does not matter). Computed without recursion, so a body of any depth
 * has one.
 */
export function requestFingerprint(endpoint: string, body: unknown): string {
  const hash = createHash('sha256').update(endpoint).update('\0');
  canonicalJson(body, hash);
  return hash.digest('hex');
}

type Frame = { kind: 'value'; value: unknown } | { kind: 'text'; text: string };

function canonicalJson(root: unknown, hash: Hash): void {
  const stack: Frame[] = [{ kind: 'value', value: root }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    if (frame.kind === 'text') {
      hash.update(frame.text);
      continue;
    }
    const { value } = frame;
    if (value === null || typeof value !== 'object') {
      hash.update(JSON.stringify(value) ?? 'null');
      continue;
    }
    // pushed in reverse: the stack pops them in order
    if (Array.isArray(value)) {
      stack.push({ kind: 'text', text: ']' });
      for (let i = value.length - 1; i >= 0; i--) {
        stack.push({ kind: 'value', value: value[i] });
        if (i > 0) stack.push({ kind: 'text', text: ',' });
      }
      stack.push({ kind: 'text', text: '[' });
      continue;
    }
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    stack.push({ kind: 'text', text: '}' });
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!;
      stack.push({ kind: 'value', value: record[key] });
      stack.push({ kind: 'text', text: `${i > 0 ? ',' : ''}${JSON.stringify(key)}:` });
    }
    stack.push({ kind: 'text', text: '{' });
  }
}
