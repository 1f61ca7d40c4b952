import { Counter, Gauge, Registry } from 'prom-client';
import { type Clock, systemClock } from '../clock';
import { flatString } from '../flat-string';
import { getProcessLogger } from '../telemetry/logger';
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
  /** what this entry counts against `maxBytes` (see {@link entryBytes}) */
  bytes: number;
}

/** Expired entries are dropped lazily on read, and all at once at most this often on write,
 * so keys that are written once and never read again (idempotency keys) do not pile up. */
const SWEEP_INTERVAL_MS = 60_000;

/** Defaults of {@link MemoryKeyValueStoreOptions}: ~100k rate-limit windows or idempotency
 * keys, and at most 64 MiB of keys and values (stored answers are the large ones). */
export const MEMORY_KV_DEFAULT_MAX_ENTRIES = 100_000;
export const MEMORY_KV_DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

/** A Map entry's own cost in V8 (hash slot, the entry object, two string headers), rounded up. */
const ENTRY_OVERHEAD_BYTES = 96;

export interface MemoryKeyValueStoreOptions {
  /** keys kept at most; past that the least recently used are forgotten */
  maxEntries?: number;
  /** bytes of keys and values kept at most (2 per UTF-16 unit, the most V8 spends), plus a
   * fixed overhead per entry; past that the least recently used are forgotten */
  maxBytes?: number;
  /** where `flywheel_kv_memory_*` metrics go (the service's registry) */
  registry?: Registry;
}

/** Upper bound of what an entry costs: V8 stores a string in 1 or 2 bytes per UTF-16 unit. */
function entryBytes(key: string, value: string): number {
  return ENTRY_OVERHEAD_BYTES + 2 * (key.length + value.length);
}

/**
 * The embedded key-value store: one process only, nothing survives a restart. Time comes
 * from the injected clock, so tests expire keys with `ManualClock.advance`.
 *
 * Bounded: at most `maxEntries` keys and `maxBytes` bytes. Past either bound the least
 * recently used keys (read or written) are forgotten — counted in
 * `flywheel_kv_memory_evicted_total` and logged once — as Redis does with
 * `maxmemory-policy allkeys-lru`. A forgotten rate-limit window starts again at 0 and a
 * forgotten idempotency key runs its request again, as after a restart of the process; the
 * entry just written is never the one evicted. Keys with a TTL also go when they expire.
 */
export class MemoryKeyValueStore implements KeyValueStore {
  readonly kind = 'memory';
  /** in least-recently-used order: a key read or written moves to the end */
  private readonly entries = new Map<string, Entry>();
  /** lease key → holder → epoch ms the lease ends (keys come from config: API key names) */
  private readonly leases = new Map<string, Map<string, number>>();
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly evictions: Counter;
  private bytesHeld = 0;
  private evictedTotal = 0;
  private lastSweep: number;
  private closed = false;

  constructor(
    private readonly clock: Clock = systemClock,
    options: MemoryKeyValueStoreOptions = {},
  ) {
    this.lastSweep = clock.now();
    this.maxEntries = positiveInteger('maxEntries', options.maxEntries ?? MEMORY_KV_DEFAULT_MAX_ENTRIES);
    this.maxBytes = positiveInteger('maxBytes', options.maxBytes ?? MEMORY_KV_DEFAULT_MAX_BYTES);
    const registers = [options.registry ?? new Registry()];
    this.evictions = new Counter({
      name: 'flywheel_kv_memory_evicted_total',
      help: 'Keys the in-memory key-value store forgot before their TTL because it was full (maxEntries or maxBytes)',
      registers,
    });
    const entries = () => this.entries.size;
    const bytes = () => this.bytesHeld;
    new Gauge({
      name: 'flywheel_kv_memory_entries',
      help: 'Keys held by the in-memory key-value store (expired ones until they are swept)',
      registers,
      collect() {
        this.set(entries());
      },
    });
    new Gauge({
      name: 'flywheel_kv_memory_bytes',
      help: 'Bytes the in-memory key-value store counts against its maxBytes bound',
      registers,
      collect() {
        this.set(bytes());
      },
    });
  }

  /** number of entries held, expired ones included until they are swept (for tests) */
  get size(): number {
    return this.entries.size;
  }

  /** what the entries held count against `maxBytes` */
  get bytes(): number {
    return this.bytesHeld;
  }

  /** keys forgotten because the store was full (not counting expired ones) */
  get evicted(): number {
    return this.evictedTotal;
  }

  async get(key: string): Promise<string | null> {
    this.assertOpen();
    return this.touch(key)?.value ?? null;
  }

  async set(key: string, value: string, opts: KeyValueSetOptions = {}): Promise<boolean> {
    this.assertOpen();
    assertValidTtl(opts.ttlMs);
    if (opts.ifAbsent && this.touch(key)) return false;
    const now = this.clock.now();
    this.write(flatString(key), flatString(value), opts.ttlMs === undefined ? undefined : now + opts.ttlMs);
    return true;
  }

  async del(key: string): Promise<void> {
    this.assertOpen();
    this.remove(key);
    this.leases.delete(key);
  }

  async incr(key: string, opts: KeyValueIncrOptions = {}): Promise<number> {
    this.assertOpen();
    assertValidTtl(opts.ttlMs);
    assertValidIncrement(opts.by);
    const by = opts.by ?? 1;
    const existing = this.touch(key);
    if (!existing) {
      const expiresAt = opts.ttlMs === undefined ? undefined : this.clock.now() + opts.ttlMs;
      this.write(flatString(key), String(by), expiresAt);
      return by;
    }
    const next = parseInteger(existing.value) + by;
    if (!Number.isSafeInteger(next)) throw new Error(NOT_AN_INTEGER_MESSAGE);
    const value = String(next);
    this.bytesHeld += 2 * (value.length - existing.value.length);
    existing.bytes += 2 * (value.length - existing.value.length);
    existing.value = value; // keeps its expiry, as Redis INCR does
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
    this.bytesHeld = 0;
  }

  /** The live entry, moved to the most recently used end; an expired one is dropped. */
  private touch(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.expiresAt !== undefined && this.clock.now() >= entry.expiresAt) {
      this.bytesHeld -= entry.bytes;
      return undefined;
    }
    this.entries.set(key, entry);
    return entry;
  }

  private remove(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.bytesHeld -= entry.bytes;
  }

  private write(key: string, value: string, expiresAt: number | undefined): void {
    this.remove(key);
    const bytes = entryBytes(key, value);
    this.entries.set(key, expiresAt === undefined ? { value, bytes } : { value, expiresAt, bytes });
    this.bytesHeld += bytes;
    const now = this.clock.now();
    if (now - this.lastSweep >= SWEEP_INTERVAL_MS) this.sweep(now);
    this.evictOverBounds();
  }

  /** Forgets least recently used keys until both bounds hold, never the one just written. */
  private evictOverBounds(): void {
    let evicted = 0;
    while ((this.entries.size > this.maxEntries || this.bytesHeld > this.maxBytes) && this.entries.size > 1) {
      this.remove(this.entries.keys().next().value!);
      evicted++;
    }
    if (evicted === 0) return;
    if (this.evictedTotal === 0)
      getProcessLogger('flywheel').warn(
        { max_entries: this.maxEntries, max_bytes: this.maxBytes },
        'in-memory key-value store full: forgetting the least recently used keys (rate-limit windows restart, idempotency keys run their request again); raise FLYWHEEL_MEMORY_KV_MAX_ENTRIES / _MAX_BYTES or set REDIS_URL',
      );
    this.evictedTotal += evicted;
    this.evictions.inc(evicted);
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt !== undefined && now >= entry.expiresAt) this.remove(key);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new KeyValueUnavailableError('the in-memory key-value store is closed');
  }
}

function positiveInteger(name: string, n: number): number {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer, got ${n}`);
  return n;
}

function parseInteger(value: string): number {
  const n = /^-?\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new Error(NOT_AN_INTEGER_MESSAGE);
  return n;
}
