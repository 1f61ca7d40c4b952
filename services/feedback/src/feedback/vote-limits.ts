import {
  DomainError,
  type KeyValueStore,
  KeyValueUnavailableError,
  RedisKeyValueStore,
} from '@flywheel/platform';
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import type { RateLimit } from '../env';

export type LimitScope = 'ip' | 'subject';

/**
 * Fixed-window vote limits per client IP and per subject, shared by every instance through
 * Redis (rate-limiter-flexible's atomic Lua counter on the node-redis v5 client), or in memory
 * when REDIS_URL is unset. Over the limit: DomainError `rate_limited` with Retry-After.
 */
export class VoteLimits {
  private constructor(private readonly limiters: Record<LimitScope, RateLimiterAbstract>) {}

  static create(kv: KeyValueStore, limits: Record<LimitScope, RateLimit>): VoteLimits {
    const make = (scope: LimitScope): RateLimiterAbstract => {
      const opts = {
        keyPrefix: `flywheel:feedback:rl:${scope}`,
        points: limits[scope].points,
        duration: limits[scope].windowS,
      };
      return kv instanceof RedisKeyValueStore
        ? new RateLimiterRedis({
            ...opts,
            storeClient: kv.client,
            useRedisPackage: true,
            rejectIfRedisNotReady: true,
          })
        : new RateLimiterMemory(opts);
    };
    return new VoteLimits({ ip: make('ip'), subject: make('subject') });
  }

  async consume(scope: LimitScope, key: string): Promise<void> {
    try {
      await this.limiters[scope].consume(key);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        const seconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        throw new DomainError(
          'rate_limited',
          `too many votes ${scope === 'ip' ? 'from this address' : 'from this user'}; retry in ${seconds} s`,
          { scope, retry_after_s: seconds },
          { 'retry-after': String(seconds) },
        );
      }
      throw new KeyValueUnavailableError('rate limiter backend unavailable', { cause: rejection });
    }
  }
}
