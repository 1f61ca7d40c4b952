import type { VariantConfig } from '@flywheel/platform';
import { Counter, type Registry } from 'prom-client';
import type { ChainResult, ChainStream } from '../chain/chain-executor';
import { type ChainOutcome, GatewayError } from '../chain/gateway-error';
import { DIRECT_ROUTE_LABEL } from '../interactions/gateway.metrics';
import { type LlmDelta, ZERO_USAGE } from '../llm/llm.types';
import { type LeakRule, LeakPolicy } from './leak-scanner';

/** What the interaction event records when a guardrail fired. */
export type GuardrailName = 'canary_leak';

/** A refused answer: the chain's outcome, and which rule the answer broke. */
export class GuardrailError extends GatewayError {
  constructor(
    readonly rule: LeakRule,
    outcome: ChainOutcome,
  ) {
    super(
      'guardrail',
      'the answer was withheld: it disclosed protected instructions of this route (canary_leak)',
      outcome,
    );
  }
}

/** The route the answer belongs to, and its variant's config. */
export interface GuardTarget {
  route: string | null;
  config?: VariantConfig;
}

/** A stream after the guard, and whether (once `result` settles) a guardrail fired. */
export interface GuardedStream extends ChainStream {
  readonly guardrail: () => GuardrailName | undefined;
}

/**
 * Applies a variant's `guardrails` to its answers: a whole answer is checked before it is
 * returned; a stream holds back the last `holdback` characters so that no chunk completes a
 * leak, and stops the upstream at the first leak. `refuse` turns a leak into a
 * {@link GuardrailError}; `replace` answers the configured replacement instead (a stream that
 * already sent safe text continues with the replacement). Variants without guardrails pass
 * through untouched.
 */
export class AnswerGuard {
  private readonly policies = new WeakMap<VariantConfig, LeakPolicy>();
  private readonly trips: Counter<'route' | 'rule' | 'action'>;

  constructor(registry: Registry) {
    const name = 'flywheel_gateway_guardrail_trips_total';
    this.trips =
      (registry.getSingleMetric(name) as Counter<'route' | 'rule' | 'action'> | undefined) ??
      new Counter({
        name,
        help: 'Answers that leaked a route canary or a verbatim run of its system prompt, by rule (canary, verbatim) and action (refuse, replace)',
        labelNames: ['route', 'rule', 'action'],
        registers: [registry],
      });
  }

  /** The answer to return, with the guardrail that fired; throws a GuardrailError to refuse. */
  complete(target: GuardTarget, result: ChainResult): { result: ChainResult; guardrail?: GuardrailName } {
    const policy = this.policy(target.config);
    const guardrails = target.config?.guardrails;
    if (!policy || !guardrails) return { result };
    const rule = policy.find(result.response.text);
    if (!rule) return { result };
    this.trip(target, rule, guardrails.on_leak);
    if (guardrails.on_leak === 'refuse' || guardrails.replacement === undefined) {
      throw new GuardrailError(rule, {
        attempts: result.attempts,
        validation: result.validation,
        usage: result.usage,
        cost_usd: result.cost_usd,
        final_model: result.final_model,
      });
    }
    const response = { ...result.response, text: guardrails.replacement };
    delete response.json;
    return { result: { ...result, response }, guardrail: 'canary_leak' };
  }

  /** The stream as the client may see it. */
  stream(target: GuardTarget, inner: ChainStream, now: () => number): GuardedStream {
    const policy = this.policy(target.config);
    const guardrails = target.config?.guardrails;
    if (!policy || !guardrails) return Object.assign(inner, { guardrail: () => undefined });

    let settle!: { resolve: (r: ChainResult) => void; reject: (e: unknown) => void };
    const result = new Promise<ChainResult>((resolve, reject) => (settle = { resolve, reject }));
    result.catch(() => undefined); // a consumer that only iterates sees the error there
    let fired: GuardrailName | undefined;
    const startedAt = now();
    const { on_leak: onLeak, replacement } = guardrails;
    const trip = (rule: LeakRule) => this.trip(target, rule, onLeak);
    const leakPolicy = policy;

    async function* deltas(): AsyncGenerator<LlmDelta, void, undefined> {
      const scanner = leakPolicy.scanner();
      const iterator = inner[Symbol.asyncIterator]();
      let done = false;
      try {
        for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
          // tool-call pieces pass as they come; only text can leak the prompt
          if (next.value.type !== 'delta') {
            yield next.value;
            continue;
          }
          const step = scanner.push(next.value.text);
          if (step.safe) yield { type: 'delta', text: step.safe };
          if (!step.leak) continue;
          // stop the upstream at the leak; the chain records the cut attempt as cancelled
          await iterator.return?.();
          const outcome = await inner.result.then(
            (r): ChainOutcome => r,
            (err: unknown) => (err instanceof GatewayError ? err.outcome : undefined),
          );
          const released = scanner.releasedText;
          const base: ChainOutcome = {
            ...(outcome ?? {
              attempts: [],
              validation: { schema: false, valid: false, repaired: false, reasks: 0 },
              usage: ZERO_USAGE,
              cost_usd: 0,
              final_model: inner.model,
            }),
            final_model: inner.model,
          };
          trip(step.leak);
          fired = 'canary_leak';
          done = true;
          if (onLeak === 'refuse' || replacement === undefined) {
            const err = new GuardrailError(step.leak, { ...base, partial_output: released });
            settle.reject(err);
            throw err;
          }
          const tail = released.length > 0 ? `\n\n${replacement}` : replacement;
          yield { type: 'delta', text: tail };
          settle.resolve({
            response: { text: released + tail, usage: base.usage, finish_reason: 'stop' },
            attempts: base.attempts,
            validation: base.validation,
            final_model: inner.model ?? '',
            usage: base.usage,
            cost_usd: base.cost_usd,
            latency_ms: Math.max(0, now() - startedAt),
          });
          return;
        }
        const tail = scanner.flush();
        if (tail) yield { type: 'delta', text: tail };
        done = true;
        settle.resolve(await inner.result);
      } catch (err) {
        if (!done) {
          done = true;
          settle.reject(err);
        }
        throw err;
      } finally {
        if (!done) {
          // the consumer stopped early: stop the chain too, and settle like it does
          await iterator.return?.();
          inner.result.then(settle.resolve, settle.reject);
        }
      }
    }

    const iterator = deltas();
    return {
      [Symbol.asyncIterator]: () => iterator,
      result,
      get model() {
        return inner.model;
      },
      guardrail: () => fired,
    };
  }

  private policy(config: VariantConfig | undefined): LeakPolicy | undefined {
    const guardrails = config?.guardrails;
    if (!config || !guardrails || config.system === undefined) return undefined;
    let policy = this.policies.get(config);
    if (!policy) {
      policy = new LeakPolicy({
        system: config.system,
        canary: guardrails.canary,
        maxVerbatimChars: guardrails.max_verbatim_chars,
      });
      this.policies.set(config, policy);
    }
    return policy;
  }

  private trip(target: GuardTarget, rule: LeakRule, action: 'refuse' | 'replace'): void {
    this.trips.inc({ route: target.route ?? DIRECT_ROUTE_LABEL, rule, action });
  }
}
