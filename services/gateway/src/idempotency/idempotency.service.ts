import { createHash } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { DomainError, type KeyValueStore, KeyValueUnavailableError } from '@flywheel/platform';

/** An answer as the client got it, stored to be replayed for the same key. */
export interface StoredAnswer {
  status: number;
  /** the `x-flywheel-*` headers of the answer */
  headers: Record<string, string>;
  body: unknown;
}

export interface IdempotentRequest {
  /** whose key it is: keys of different API keys never meet */
  scope: string;
  /** the client's `Idempotency-Key` */
  key: string;
  /** what the request asked (see `requestFingerprint`) */
  fingerprint: string;
}

export interface IdempotencyOptions {
  /** how long a finished answer is kept for replay (GATEWAY_IDEMPOTENCY_TTL_S) */
  ttlMs: number;
  /**
   * how long a key stays claimed by a request still running; a gateway that dies mid-request
   * leaves its claim behind until then (default 5 minutes, longer than any route's deadline)
   */
  claimTtlMs?: number;
}

type Entry =
  { state: 'running'; fingerprint: string } | { state: 'done'; fingerprint: string; answer: StoredAnswer };

const DEFAULT_CLAIM_TTL_MS = 5 * 60_000;
/** a duplicate of a running request is told to come back after this long */
const IN_PROGRESS_RETRY_AFTER_S = 1;
const PREFIX = 'flywheel:gateway:idempotency:';

/**
 * `Idempotency-Key` (IETF httpapi-idempotency-key draft): the first request with a key claims it
 * in the key-value store (SET NX with a claim TTL) and runs; its 2xx answer is stored under the
 * key for `ttlMs` and every later request with the same key and the same fingerprint gets that
 * answer again, without running. The same key with another fingerprint is refused
 * (`idempotency_key_reused`, 422); a duplicate that arrives while the first still runs is refused
 * (`idempotency_in_progress`, 409 with Retry-After). A request that ends in an error releases its
 * claim, so a retry with the same key runs again. Knows nothing about HTTP.
 */
export class IdempotencyService {
  private readonly logger = new Logger('Idempotency');
  private readonly claimTtlMs: number;

  constructor(
    private readonly kv: KeyValueStore,
    private readonly options: IdempotencyOptions,
  ) {
    this.claimTtlMs = options.claimTtlMs ?? DEFAULT_CLAIM_TTL_MS;
  }

  async run(
    request: IdempotentRequest,
    produce: () => Promise<StoredAnswer>,
  ): Promise<{ answer: StoredAnswer; replayed: boolean }> {
    const storeKey =
      PREFIX + createHash('sha256').update(request.scope).update('\0').update(request.key).digest('hex');
    const claim: Entry = { state: 'running', fingerprint: request.fingerprint };
    // two tries: a key that expires between our failed claim and our read is free again
    for (let attempt = 0; attempt < 2; attempt++) {
      const claimed = await this.store(() =>
        this.kv.set(storeKey, JSON.stringify(claim), { ifAbsent: true, ttlMs: this.claimTtlMs }),
      );
      if (claimed) return { answer: await this.runClaimed(storeKey, request, produce), replayed: false };
      const raw = await this.store(() => this.kv.get(storeKey));
      if (raw === null) continue;
      const entry = JSON.parse(raw) as Entry;
      if (entry.fingerprint !== request.fingerprint) {
        throw new DomainError(
          'idempotency_key_reused',
          'this Idempotency-Key was already used for a different request; use a new key for a new request',
          { issues: [{ path: 'headers.idempotency-key', message: 'already used with a different body' }] },
        );
      }
      if (entry.state === 'running') {
        throw new DomainError(
          'idempotency_in_progress',
          'a request with this Idempotency-Key is still running; retry after it has finished',
          undefined,
          { 'retry-after': String(IN_PROGRESS_RETRY_AFTER_S) },
        );
      }
      return { answer: entry.answer, replayed: true };
    }
    throw new DomainError(
      'idempotency_in_progress',
      'this Idempotency-Key is changing hands; retry shortly',
      undefined,
      { 'retry-after': String(IN_PROGRESS_RETRY_AFTER_S) },
    );
  }

  private async runClaimed(
    storeKey: string,
    request: IdempotentRequest,
    produce: () => Promise<StoredAnswer>,
  ): Promise<StoredAnswer> {
    let answer: StoredAnswer;
    try {
      answer = await produce();
    } catch (err) {
      await this.release(storeKey);
      throw err;
    }
    if (answer.status < 200 || answer.status >= 300) {
      await this.release(storeKey);
      return answer;
    }
    const done: Entry = { state: 'done', fingerprint: request.fingerprint, answer };
    try {
      await this.kv.set(storeKey, JSON.stringify(done), { ttlMs: this.options.ttlMs });
    } catch (err) {
      // the client gets its answer; a retry sees the claim (409) until it expires
      this.logger.warn(`an answer for an Idempotency-Key was not stored: ${describe(err)}`);
    }
    return answer;
  }

  private async release(storeKey: string): Promise<void> {
    try {
      await this.kv.del(storeKey);
    } catch (err) {
      this.logger.warn(`an Idempotency-Key claim was not released (it expires by itself): ${describe(err)}`);
    }
  }

  /** A key-value store that cannot be reached → 503: the client asked for a guarantee we cannot check. */
  private async store<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof KeyValueUnavailableError)) throw err;
      this.logger.warn(`idempotency keys cannot be checked: ${err.message}`);
      throw new DomainError(
        'unavailable',
        'Idempotency-Key cannot be checked right now (key-value store unavailable); retry later',
        undefined,
        { 'retry-after': '1' },
      );
    }
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
