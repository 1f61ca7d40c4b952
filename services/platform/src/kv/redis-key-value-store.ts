import { createHash } from 'node:crypto';
// types only: the `redis` package (~700 modules with its bloom/search/json/time-series parts)
// loads in `connect`, so a process without REDIS_URL never loads it
import type * as Redis from 'redis';
import type { RedisClientType } from 'redis';
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

export type RedisClient = RedisClientType;

export interface RedisKeyValueStoreOptions {
  /** how long `connect` waits for the first connection before failing (default 5000 ms) */
  connectTimeoutMs?: number;
  /** a call without an answer after this long fails with `KeyValueUnavailableError` instead
   * of waiting on a stalled server (default 2000 ms) */
  commandTimeoutMs?: number;
  /** where connection loss and recovery are reported (default: console) */
  logger?: Pick<Console, 'warn' | 'info'>;
}

/**
 * The lease semaphore as one atomic script on a sorted set (member = holder, score = the
 * epoch ms its lease ends), timed by the Redis server's clock so gateways with skewed clocks
 * agree. The key expires with its newest lease, so an idle semaphore leaves nothing behind.
 */
const ACQUIRE_LEASE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ttl)
  return 1
end
return 0
`;
/** called by its SHA1 (EVALSHA), so each lease sends 40 bytes instead of the script */
const ACQUIRE_LEASE_SHA = createHash('sha1').update(ACQUIRE_LEASE).digest('hex');

/** Reconnect backoff: 50 ms doubling up to 1 s, so recovery is noticed within a second. */
const reconnectDelay = (retries: number): number => Math.min(50 * 2 ** retries, 1000);

/**
 * Redis adapter. While Redis is down every call fails at once with
 * `KeyValueUnavailableError` (no offline queue, so nothing piles up and nothing hangs) and
 * the client keeps reconnecting in the background; calls succeed again once it is back.
 * `client` is exposed for libraries that want the raw node-redis client (rate limiters).
 */
export class RedisKeyValueStore implements KeyValueStore {
  readonly kind = 'redis';
  private closed = false;

  private constructor(
    private readonly redis: typeof Redis,
    readonly client: RedisClient,
    /** host:port with credentials stripped, for error messages */
    readonly target: string,
    private readonly commandTimeoutMs: number,
  ) {}

  static async connect(url: string, opts: RedisKeyValueStoreOptions = {}): Promise<RedisKeyValueStore> {
    const { connectTimeoutMs = 5000, commandTimeoutMs = 2000, logger = console } = opts;
    const target = describeTarget(url);
    // while the first connection is pending, retries stop at its deadline, so a failed
    // connect leaves no retry timer running behind it
    const deadline = Date.now() + connectTimeoutMs;
    let starting = true;
    const redis = await import('redis');
    const client: RedisClient = redis.createClient({
      url,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: connectTimeoutMs,
        reconnectStrategy: (retries) => {
          if (!starting) return reconnectDelay(retries);
          const left = deadline - Date.now();
          return left > 0 ? Math.min(reconnectDelay(retries), left) : false;
        },
      },
    });

    let everReady = false;
    let connected = false;
    let lastError: unknown;
    client.on('error', (err: unknown) => {
      lastError = err;
      if (connected) {
        connected = false;
        logger.warn(`redis at ${target}: connection lost (${errorMessage(err)}); reconnecting`);
      }
    });
    client.on('ready', () => {
      if (everReady) logger.info(`redis at ${target}: reconnected`);
      everReady = true;
      connected = true;
    });

    const connecting = client.connect();
    try {
      await withTimeout(connecting, connectTimeoutMs);
      starting = false;
    } catch (err) {
      connecting.catch(() => undefined);
      destroyQuietly(client);
      const cause = err instanceof DeadlineError ? (lastError ?? err) : err;
      throw new KeyValueUnavailableError(
        `could not connect to redis at ${target} within ${connectTimeoutMs} ms: ${errorMessage(cause)}`,
        { cause },
      );
    }
    return new RedisKeyValueStore(redis, client, target, commandTimeoutMs);
  }

  async get(key: string): Promise<string | null> {
    return this.run(() => this.client.get(key));
  }

  async set(key: string, value: string, opts: KeyValueSetOptions = {}): Promise<boolean> {
    assertValidTtl(opts.ttlMs);
    const reply = await this.run(() =>
      this.client.set(key, value, {
        ...(opts.ttlMs !== undefined && { expiration: { type: 'PX', value: Math.ceil(opts.ttlMs) } }),
        ...(opts.ifAbsent && { condition: 'NX' }),
      }),
    );
    return reply !== null;
  }

  async del(key: string): Promise<void> {
    await this.run(() => this.client.del(key));
  }

  async incr(key: string, opts: KeyValueIncrOptions = {}): Promise<number> {
    assertValidTtl(opts.ttlMs);
    assertValidIncrement(opts.by);
    const { ttlMs, by = 1 } = opts;
    if (ttlMs === undefined) return this.run(() => this.client.incrBy(key, by));
    // SET NX PX creates the key with its TTL only if it is missing; INCR keeps the TTL.
    // MULTI makes the pair atomic (no window where the key exists without a TTL). node-redis
    // queues a MULTI even while offline, hence the explicit readiness check.
    const replies = await this.run(() => {
      if (!this.client.isReady) throw new this.redis.ClientOfflineError();
      return this.client
        .multi()
        .set(key, '0', { condition: 'NX', expiration: { type: 'PX', value: Math.ceil(ttlMs) } })
        .incrBy(key, by)
        .exec();
    });
    return Number(replies[1]);
  }

  async acquireLease(key: string, holder: string, opts: KeyValueLeaseOptions): Promise<boolean> {
    assertValidLease(opts);
    const call = { keys: [key], arguments: [holder, String(opts.limit), String(Math.ceil(opts.ttlMs))] };
    const reply = await this.run(async () => {
      try {
        return await this.client.evalSha(ACQUIRE_LEASE_SHA, call);
      } catch (err) {
        // the server does not have it cached yet (first call, restart, SCRIPT FLUSH): EVAL loads it
        if (err instanceof this.redis.ErrorReply && err.message.startsWith('NOSCRIPT'))
          return await this.client.eval(ACQUIRE_LEASE, call);
        throw err;
      }
    });
    return reply === 1;
  }

  async releaseLease(key: string, holder: string): Promise<void> {
    await this.run(() => this.client.zRem(key, holder));
  }

  async ping(): Promise<void> {
    await this.run(() => this.client.ping());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.client.isReady) return destroyQuietly(this.client);
    // close() lets in-flight commands finish; don't let a stalled server hold shutdown up
    await withTimeout(this.client.close(), this.commandTimeoutMs).catch(() => destroyQuietly(this.client));
  }

  private async run<T>(command: () => Promise<T>): Promise<T> {
    if (this.closed) {
      throw new KeyValueUnavailableError(`the redis key-value store for ${this.target} is closed`);
    }
    try {
      // node-redis times out only commands still waiting to be written; this deadline also
      // covers a server that took the command and never answers
      return await withTimeout(command(), this.commandTimeoutMs);
    } catch (err) {
      throw this.translate(err);
    }
  }

  private translate(err: unknown): unknown {
    const redis = this.redis;
    if (err instanceof redis.MultiErrorReply) return err.replies[err.errorIndexes[0] ?? 0] ?? err;
    if (err instanceof redis.ErrorReply) return err; // Redis answered: a real command error
    if (
      err instanceof redis.ClientOfflineError ||
      err instanceof redis.ClientClosedError ||
      err instanceof DeadlineError ||
      err instanceof redis.SocketClosedUnexpectedlyError ||
      err instanceof redis.ConnectionTimeoutError ||
      isSystemError(err)
    ) {
      return new KeyValueUnavailableError(`redis at ${this.target} is unavailable: ${errorMessage(err)}`, {
        cause: err,
      });
    }
    return err;
  }
}

class DeadlineError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
  }
}

/** Rejects with DeadlineError after `ms`; the original promise is left to settle unobserved. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(ms)), ms);
  });
  promise.catch(() => undefined);
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

function destroyQuietly(client: RedisClient): void {
  try {
    client.destroy();
  } catch {
    // already closed
  }
}

function isSystemError(err: unknown): boolean {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).syscall === 'string';
}

function errorMessage(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return errorMessage(err.errors[0]);
  return err instanceof Error ? err.message || err.name : String(err);
}

function describeTarget(url: string): string {
  try {
    const { hostname, port } = new URL(url);
    return `${hostname}:${port || '6379'}`;
  } catch {
    return '<invalid REDIS_URL>';
  }
}
