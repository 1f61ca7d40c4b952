import type { Attempt, AttemptStatus, Usage } from '@flywheel/contracts';
import { ZERO_USAGE } from '../llm/llm.types';
import { addUsage, costUsd } from '../pricing/cost';
import type { ErrorClass, ProviderError } from '../providers/provider-error';
import type { ModelRoute } from './model-catalog';

const STATUS_OF: Partial<Record<ErrorClass, AttemptStatus>> = {
  timeout: 'timeout',
  circuit_open: 'circuit_open',
  invalid_output: 'invalid_output',
  truncated: 'truncated',
};

/** The attempts of one chain run, shaped like the contracts' `Attempt`, with running totals. */
export class AttemptLog {
  readonly attempts: Attempt[] = [];
  usage: Usage = ZERO_USAGE;
  costUsd = 0;

  /** An answered call (`ok`, or `invalid_output` when it failed the schema). */
  answered(
    model: ModelRoute,
    tryNo: number,
    startedAt: number,
    now: number,
    usage: Usage | undefined,
    outcome: { status: 'ok' | 'invalid_output'; repaired?: boolean },
  ): Attempt {
    const attempt = this.base(model, tryNo, startedAt, now, outcome.status);
    if (outcome.status === 'invalid_output') attempt.error_class = 'invalid_output';
    if (outcome.repaired !== undefined) attempt.repaired = outcome.repaired;
    this.charge(attempt, model, usage);
    return this.push(attempt);
  }

  /** A failed call; `status` overrides the one derived from the error class (a stream cut after its first token is `truncated`). */
  failed(
    model: ModelRoute,
    tryNo: number,
    startedAt: number,
    now: number,
    error: ProviderError,
    status?: AttemptStatus,
    usage?: Usage,
  ): Attempt {
    const attempt = this.base(model, tryNo, startedAt, now, status ?? STATUS_OF[error.errorClass] ?? 'error');
    attempt.error_class = error.errorClass;
    if (error.httpStatus !== undefined) attempt.http_status = error.httpStatus;
    this.charge(attempt, model, usage);
    return this.push(attempt);
  }

  private base(
    model: ModelRoute,
    tryNo: number,
    startedAt: number,
    now: number,
    status: AttemptStatus,
  ): Attempt {
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

  private push(attempt: Attempt): Attempt {
    this.attempts.push(attempt);
    return attempt;
  }
}
