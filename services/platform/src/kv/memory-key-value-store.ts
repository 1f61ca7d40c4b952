import { type Clock, systemClock } from '../clock';
import { flatString } from '../flat-string';
import {
  assertValidIncrement,
  assertValidLease,
  assertValidTtl,
  type KeyValueIncrOptions,
  type KeyValueLeaseOptions,
  type KeyValueSetOptions,
  type KeyValueStore,
  KeyValueUnavailableError,
} from './key-value-store';

/** Redis's wording, so callers see one message whichever adapter runs. */
const NOT_AN_INTEGER_MESSAGE = 'ERR value is not an integer or out of range';

interface Entry {
  value: string;
  /** epoch ms from the injected clock; the key is gone from this instant on */
  expiresAt?: number;
}

/** Expired entries are dropped lazily on read, and all at once at most this often on write,
 * so keys that are written once and never read again (idempotency keys) do not pile up. */
const SWEEP_INTERVAL_MS = 60_000;

/**
 * The embedded key-value store: one process only, nothing survives a restart. Time comes
 * from the injected clock, so tests expire keys with `ManualClock.advance`.
 */
export class MemoryKeyValueStore implements KeyValueStore {
  readonly kind = 'memory';
  private readonly entries = new Map<string, Entry>();
  /** lease key → holder → epoch ms the lease ends */
  private readonly leases = new Map<string, Map<string, number>>();
  private lastSweep: number;
  private closed = false;

  constructor(private readonly clock: Clock = systemClock) {
    this.lastSweep = clock.now();
  }

  /** number of entries held, expired ones included until they are swept (for tests) */
  get size(): number {
    return this.entries.size;
  }

  async get(key: string): Promise<string | null> {
    this.assertOpen();
    return this.live(key)?.value ?? null;
  }

  async set(key: string, value: string, opts: KeyValueSetOptions = {}): Promise<boolean> {
    this.assertOpen();
    assertValidTtl(opts.ttlMs);
    if (opts.ifAbsent && this.live(key)) return false;
    this.write(key, value, opts.ttlMs);
    return true;
  }

  async del(key: string): Promise<void> {
    this.assertOpen();
    this.entries.delete(key);
    this.leases.delete(key);
  }

  async incr(key: string, opts: KeyValueIncrOptions = {}): Promise<number> {
    this.assertOpen();
    assertValidTtl(opts.ttlMs);
    assertValidIncrement(opts.by);
    const by = opts.by ?? 1;
    const existing = this.live(key);
    if (!existing) {
      this.write(key, String(by), opts.ttlMs);
      return by;
    }
    const next = parseInteger(existing.value) + by;
    if (!Number.isSafeInteger(next)) throw new Error(NOT_AN_INTEGER_MESSAGE);
    existing.value = String(next); // keeps its expiry, as Redis INCR does
    return next;
  }

  async acquireLease(key: string, holder: string, opts: KeyValueLeaseOptions): Promise<boolean> {
    this.assertOpen();
    assertValidLease(opts);
    const now = this.clock.now();
    const holders = this.leases.get(key) ?? new Map<string, number>();
    for (const [h, end] of holders) if (now >= end) holders.delete(h);
    const admitted = holders.has(holder) || holders.size < opts.limit;
    if (admitted) holders.set(flatString(holder), now + opts.ttlMs);
    if (holders.size > 0) this.leases.set(flatString(key), holders);
    else this.leases.delete(key);
    return admitted;
  }

  async releaseLease(key: string, holder: string): Promise<void> {
    this.assertOpen();
    const holders = this.leases.get(key);
    holders?.delete(holder);
    if (holders?.size === 0) this.leases.delete(key);
  }

  async ping(): Promise<void> {
    this.assertOpen();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.entries.clear();
    this.leases.clear();
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry?.expiresAt !== undefined && this.clock.now() >= entry.expiresAt) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private write(key: string, value: string, ttlMs: number | undefined): void {
    const now = this.clock.now();
    const flat = flatString(value);
    this.entries.set(
      flatString(key),
      ttlMs === undefined ? { value: flat } : { value: flat, expiresAt: now + ttlMs },
    );
    if (now - this.lastSweep >= SWEEP_INTERVAL_MS) this.sweep(now);
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt !== undefined && now >= entry.expiresAt) this.entries.delete(key);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new KeyValueUnavailableError('the in-memory key-value store is closed');
  }
}

function parseInteger(value: string): number {
  const n = /^-?\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new Error(NOT_AN_INTEGER_MESSAGE);
  return n;
}
