import {
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  type CircuitBreakerPolicy,
  handleWhen,
  isBrokenCircuitError,
} from 'cockatiel';
import { ProviderError } from '../providers/provider-error';
import { countsAgainstModel } from './failure-policy';

export interface BreakerOptions {
  /** Consecutive model failures (see `countsAgainstModel`) that open the breaker. Default 5. */
  consecutiveFailures: number;
  /** How long it stays open before one probe may go through. Default 10 s. */
  halfOpenAfterMs: number;
}

export const DEFAULT_BREAKER: BreakerOptions = { consecutiveFailures: 5, halfOpenAfterMs: 10_000 };

export type BreakerState = 'closed' | 'open' | 'half_open';

const countsAsFailure = handleWhen(
  (err) => err instanceof ProviderError && countsAgainstModel(err.errorClass),
);

/**
 * One cockatiel consecutive-failures breaker per model id, created on first use and kept for
 * the life of the process. Open: calls fail at once with `circuit_open`. After
 * `halfOpenAfterMs` the next call is the single probe; while it runs, other calls fail with
 * `circuit_open` instead of queueing behind it (cockatiel would make them wait), so they move
 * on to the next model at once. The probe's success closes the breaker, its failure re-opens it.
 *
 * cockatiel reads `Date.now()` itself: tests drive its timing with Jest's fake system time.
 */
export class CircuitBreakers {
  private readonly policies = new Map<string, CircuitBreakerPolicy>();

  constructor(private readonly options: BreakerOptions = DEFAULT_BREAKER) {}

  async execute<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const policy = this.policy(key);
    if (policy.state === CircuitState.HalfOpen || policy.state === CircuitState.Isolated) {
      throw circuitOpen(key);
    }
    try {
      return await policy.execute(fn);
    } catch (err) {
      if (isBrokenCircuitError(err)) throw circuitOpen(key);
      throw err;
    }
  }

  state(key: string): BreakerState {
    const state = this.policies.get(key)?.state ?? CircuitState.Closed;
    if (state === CircuitState.Closed) return 'closed';
    return state === CircuitState.HalfOpen ? 'half_open' : 'open';
  }

  private policy(key: string): CircuitBreakerPolicy {
    let policy = this.policies.get(key);
    if (!policy) {
      policy = circuitBreaker(countsAsFailure, {
        halfOpenAfter: this.options.halfOpenAfterMs,
        breaker: new ConsecutiveBreaker(this.options.consecutiveFailures),
      });
      this.policies.set(key, policy);
    }
    return policy;
  }
}

function circuitOpen(key: string): ProviderError {
  return new ProviderError('circuit_open', `circuit breaker for model ${key} is open`);
}
