import { randomUUID } from 'node:crypto';
import type { Usage } from '@flywheel/contracts';
import { type Clock, DomainError, type KeyValueStore } from '@flywheel/platform';
import type { ApiKey } from './api-keys';
import type { KeyMetrics } from './key.metrics';
import { checkKeyScope, type KeyAsk, type KeyRefusal, KeyScopeError } from './key-scope';

const WINDOW_MS = 60_000;
/**
 * A concurrency lease ends by itself after this long, so a gateway that crashed mid-request
 * frees its slots; a request still running then no longer holds one.
 */
export const LEASE_TTL_MS = 10 * 60_000;
const PREFIX = 'flywheel:key-limits:';

/** One admitted request: record what it used, then settle once, however it ended. */
export interface KeyTicket {
  /** the tokens the request actually used (the last call wins) */
  used(usage: Usage): void;
  /** releases the concurrency slot and trues the token budget up to the recorded usage; idempotent */
  settle(): Promise<void>;
}

/** The ticket of a key without limits: nothing to release, only its usage to count. */
class MeteredTicket implements KeyTicket {
  private usage: Usage | undefined;
  private settled = false;

  constructor(
    private readonly metrics: KeyMetrics,
    private readonly keyName: string,
  ) {}

  used(usage: Usage): void {
    this.usage = usage;
  }

  settle(): Promise<void> {
    if (!this.settled) {
      this.settled = true;
      this.metrics.used(this.keyName, this.usage?.input_tokens ?? 0, this.usage?.output_tokens ?? 0);
    }
    return Promise.resolve();
  }
}

/** Undo steps of a partly admitted request, run when a later limit refuses it. */
type Undo = () => Promise<unknown>;

/**
 * Per-key scope and limits. Scope is checked in memory; the limits live in the key-value
 * store (Redis in production), so every gateway process on one Redis shares them:
 * - requests/min and tokens/min: fixed one-minute windows aligned to the clock (`INCRBY` on
 *   `…:<key>:req|tok:<window>`, created with a TTL); Retry-After is the rest of the window.
 * - tokens: admission reserves the request's `max_tokens` (else the key's cap, at most the
 *   budget) and refuses when the window would go over; when the request ends the charge is
 *   trued up to its actual usage (input + output), 0 when nothing ran.
 * - concurrent: a lease per request (`acquireLease`), ended when the request ends.
 * A refused request leaves no charge behind. When the store is down, keys with limits get 503.
 */
export class KeyAccess {
  constructor(
    private readonly kv: KeyValueStore,
    private readonly clock: Clock,
    private readonly metrics: KeyMetrics,
    /** GATEWAY_MAX_TOKENS_LIMIT: no request may ask for more, whatever its key */
    private readonly maxTokensLimit: number,
  ) {}

  async admit(key: ApiKey, ask: KeyAsk): Promise<KeyTicket> {
    return this.admission(key, ask)();
  }

  /**
   * Checks the key's scope now (in memory; throws a KeyScopeError) and returns the rest of the
   * admission: the limits, which cost store round trips, applied only when the request really
   * runs — not for a refusal that costs nothing or an idempotent replay.
   */
  admission(key: ApiKey, ask: KeyAsk): () => Promise<KeyTicket> {
    try {
      checkKeyScope(key, ask, this.maxTokensLimit);
    } catch (err) {
      if (err instanceof KeyScopeError) this.metrics.refused(key.name, err.reason);
      throw err;
    }
    const { requests_per_min, tokens_per_min, concurrent } = key.limits;
    if (requests_per_min === undefined && tokens_per_min === undefined && concurrent === undefined) {
      return () => {
        this.metrics.admitted(key.name);
        return Promise.resolve(new MeteredTicket(this.metrics, key.name));
      };
    }
    return () => this.limited(key, ask);
  }

  private async limited(key: ApiKey, ask: KeyAsk): Promise<KeyTicket> {
    const undo: Undo[] = [];
    try {
      const ticket = await this.limit(key, ask, undo);
      this.metrics.admitted(key.name);
      return ticket;
    } catch (err) {
      await Promise.allSettled(undo.map((u) => u()));
      if (err instanceof DomainError) throw err;
      throw new DomainError(
        'unavailable',
        `the limits of this API key (${key.name}) cannot be checked right now; retry shortly`,
        undefined,
        { 'retry-after': '1' },
      );
    }
  }

  private async limit(key: ApiKey, ask: KeyAsk, undo: Undo[]): Promise<KeyTicket> {
    const { requests_per_min, tokens_per_min, concurrent, max_tokens } = key.limits;
    const now = this.clock.now();
    const window = Math.floor(now / WINDOW_MS);
    const retryAfterS = Math.max(1, Math.ceil(((window + 1) * WINDOW_MS - now) / 1000));
    const base = `${PREFIX}${key.name}:`;

    if (requests_per_min !== undefined) {
      const reqKey = `${base}req:${window}`;
      const count = await this.kv.incr(reqKey, { ttlMs: WINDOW_MS });
      undo.push(() => this.kv.incr(reqKey, { by: -1, ttlMs: WINDOW_MS }));
      if (count > requests_per_min) {
        throw this.refuse(key, 'requests_per_min', requests_per_min, retryAfterS);
      }
    }

    let reserved = 0;
    const tokKey = `${base}tok:${window}`;
    if (tokens_per_min !== undefined) {
      reserved = Math.min(ask.maxTokens ?? max_tokens ?? 0, tokens_per_min);
      const total = await this.kv.incr(tokKey, { by: reserved, ttlMs: WINDOW_MS });
      undo.push(() => this.kv.incr(tokKey, { by: -reserved, ttlMs: WINDOW_MS }));
      if (total > tokens_per_min || (reserved === 0 && total >= tokens_per_min)) {
        throw this.refuse(key, 'tokens_per_min', tokens_per_min, retryAfterS);
      }
    }

    const leaseKey = `${base}inflight`;
    const holder = randomUUID();
    if (concurrent !== undefined) {
      const taken = await this.kv.acquireLease(leaseKey, holder, { limit: concurrent, ttlMs: LEASE_TTL_MS });
      if (!taken) throw this.refuse(key, 'concurrent', concurrent, 1);
    }

    let usage: Usage | undefined;
    let settled = false;
    return {
      used: (u) => {
        usage = u;
      },
      settle: async () => {
        if (settled) return;
        settled = true;
        const input = usage?.input_tokens ?? 0;
        const output = usage?.output_tokens ?? 0;
        this.metrics.used(key.name, input, output);
        const steps: Promise<unknown>[] = [];
        if (concurrent !== undefined) steps.push(this.kv.releaseLease(leaseKey, holder));
        const correction = (usage?.total_tokens ?? input + output) - reserved;
        if (tokens_per_min !== undefined && correction !== 0) {
          steps.push(this.kv.incr(tokKey, { by: correction, ttlMs: WINDOW_MS }));
        }
        // a store that is down now only loses the correction; the lease ends by its TTL
        await Promise.allSettled(steps);
      },
    };
  }

  private refuse(key: ApiKey, reason: KeyRefusal, limit: number, retryAfterS: number): DomainError {
    this.metrics.refused(key.name, reason);
    const what =
      reason === 'concurrent'
        ? `${limit} concurrent requests`
        : `${limit} ${reason.replace('_per_min', '')} per minute`;
    return new DomainError(
      'rate_limited',
      `this API key (${key.name}) is limited to ${what}; retry after ${retryAfterS} s`,
      { limit: reason },
      { 'retry-after': String(retryAfterS) },
    );
  }
}
