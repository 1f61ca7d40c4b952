import type { Attempt, AttemptStatus, Usage } from '@flywheel/contracts';
import { ZERO_USAGE } from '../llm/llm.types';
import { addUsage, costUsd } from '../pricing/cost';
import type { ErrorClass, ProviderError } from '../providers/provider-error';
import type { ModelRoute } from './model-catalog';

/** Which call an observer hears about: the model, its try number (1-based) and when it started. */
export interface AttemptInfo {
  model: ModelRoute;
  tryNo: number;
  /** epoch ms on the executor's clock */
  startedAt: number;
}

/** How an answered call went: `invalid_output` when the answer failed the output schema. */
export interface Answered {
  status: 'ok' | 'invalid_output';
  repaired?: boolean;
}

/**
 * Observes the attempts of a chain run without taking part in its decisions (as OpenFeature's
 * hooks sit around `evaluate()`): the attempts loop and the stream report each finished call
 * once, as answered or failed. An observer must not throw.
 */
export interface AttemptObserver {
  /** The call answered: `ok`, or `invalid_output` when the answer failed the output schema. */
  answered(info: AttemptInfo, now: number, usage: Usage | undefined, outcome: Answered): void;
  /** The call failed; `status` overrides the one derived from the error class (a stream cut after its first token is `truncated`). */
  failed(info: AttemptInfo, now: number, error: ProviderError, status?: AttemptStatus, usage?: Usage): void;
}

const STATUS_OF: Partial<Record<ErrorClass, AttemptStatus>> = {
  timeout: 'timeout',
  circuit_open: 'circuit_open',
  invalid_output: 'invalid_output',
  truncated: 'truncated',
};

/** The observer that records a run's attempts, shaped like the contracts' `Attempt`, with running totals. */
export class AttemptLog implements AttemptObserver {
  readonly attempts: Attempt[] = [];
  usage: Usage = ZERO_USAGE;
  costUsd = 0;

  answered(info: AttemptInfo, now: number, usage: Usage | undefined, outcome: Answered): void {
    const attempt = this.base(info, now, outcome.status);
    if (outcome.status === 'invalid_output') attempt.error_class = 'invalid_output';
    if (outcome.repaired !== undefined) attempt.repaired = outcome.repaired;
    this.charge(attempt, info.model, usage);
    this.attempts.push(attempt);
  }

  failed(info: AttemptInfo, now: number, error: ProviderError, status?: AttemptStatus, usage?: Usage): void {
    const attempt = this.base(info, now, status ?? STATUS_OF[error.errorClass] ?? 'error');
    attempt.error_class = error.errorClass;
    if (error.httpStatus !== undefined) attempt.http_status = error.httpStatus;
    this.charge(attempt, info.model, usage);
    this.attempts.push(attempt);
  }

  private base({ model, tryNo, startedAt }: AttemptInfo, now: number, status: AttemptStatus): Attempt {
    return {
      model: model.id,
      provider: model.providerName,
      status,
      latency_ms: Math.max(0, now - startedAt),
      started_at: new Date(startedAt).toISOString(),
      try: tryNo,
    };
  }

  private charge(attempt: Attempt, model: ModelRoute, usage: Usage | undefined): void {
    if (usage === undefined) return;
    const cost = costUsd(usage, model.price);
    attempt.usage = usage;
    attempt.cost_usd = cost;
    this.usage = addUsage(this.usage, usage);
    this.costUsd = Math.round((this.costUsd + cost) * 1e10) / 1e10;
  }
}
