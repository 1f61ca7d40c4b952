import type { Clock } from '@flywheel/platform';
import type { ChatMessage, Usage } from '../llm/llm.types';
import type { ProviderError } from '../providers/provider-error';
import type { Backoff } from '../resilience/backoff';
import { isRetryable } from '../resilience/failure-policy';
import type { Sleeper } from '../runtime/sleeper';
import { type OutputCheck, nextStep, reaskMessages } from '../structured/structured-output';
import type { AttemptInfo } from './attempt-log';
import type { ChainRun } from './chain-run';
import type { ModelRoute } from './model-catalog';

/**
 * How one upstream call ended, as the attempts loop decides on it:
 * - `answered`: a whole answer (recorded `ok`); the loop returns `value`.
 * - `committed`: a stream past its first token; the loop returns `value` and the stream records
 *   the attempt when it ends.
 * - `invalid`: an answer that failed the output schema (recorded `invalid_output`); re-ask or move on.
 * - `failed`: no answer (recorded with its error class); retry, move on, or stop the chain.
 */
export type AttemptOutcome<T> =
  | { kind: 'answered'; value: T; usage: Usage; repaired?: boolean }
  | { kind: 'committed'; value: T }
  | { kind: 'invalid'; usage: Usage; output: string; check: Extract<OutputCheck, { valid: false }> }
  | { kind: 'failed'; error: ProviderError; deadline: boolean };

/** One call of `model` with `messages` (the request's, plus any re-ask). */
export type AttemptCall<T> = (
  info: AttemptInfo,
  messages: readonly ChatMessage[],
) => Promise<AttemptOutcome<T>>;

export interface AttemptLoopDeps {
  backoff: Backoff;
  clock: Clock;
  sleeper: Sleeper;
}

/**
 * The attempts of a chain, shared by complete and stream: each model in turn, each retryable
 * failure retried with backoff while tries and the deadline allow, each schema failure re-asked
 * while the variant allows; then the next model. Every attempt is reported to the run's
 * observers once; the decisions never read what the observers recorded.
 */
export class AttemptLoop {
  constructor(
    private readonly deps: AttemptLoopDeps,
    private readonly maxAttemptsPerModel: number,
  ) {}

  /** The value of the first attempt that answers, with its model; throws the run's GatewayError. */
  async run<T>(run: ChainRun, call: AttemptCall<T>): Promise<{ model: ModelRoute; value: T }> {
    const { clock } = this.deps;
    for (const model of run.prepared.models) {
      let messages = run.chainRequest.messages;
      let failures = 0;
      let reasks = 0;
      for (let tryNo = 1; ; tryNo++) {
        this.checkTime(run);
        const info: AttemptInfo = { model, tryNo, startedAt: clock.now() };
        const outcome = await call(info, messages);
        if (outcome.kind === 'committed') return { model, value: outcome.value };
        if (outcome.kind === 'answered') {
          run.answered(info, clock.now(), outcome.usage, { status: 'ok', repaired: outcome.repaired });
          return { model, value: outcome.value };
        }
        if (outcome.kind === 'invalid') {
          const { check } = outcome;
          run.answered(info, clock.now(), outcome.usage, {
            status: 'invalid_output',
            repaired: check.repaired,
          });
          run.lastInvalid = check.errors;
          run.lastRepaired = check.repaired;
          if (nextStep(check, reasks, run.prepared.maxReasks) !== 'reask') break;
          reasks++;
          run.reasks++;
          messages = [...messages, ...reaskMessages(outcome.output, check.errors)];
          continue;
        }
        run.failed(info, clock.now(), outcome.error);
        if (outcome.error.errorClass !== 'circuit_open') failures++;
        if ((await this.afterFailure(run, outcome, failures)) === 'next_model') break;
      }
    }
    throw run.exhausted();
  }

  private checkTime(run: ChainRun): void {
    if (run.signal?.aborted) throw run.error('cancelled', 'the caller cancelled the request');
    if (this.deps.clock.now() >= run.deadline)
      throw run.error('deadline_exceeded', 'the chain ran out of time');
  }

  /**
   * The fallback decision after a failed call: stop the chain (cancelled, deadline), wait and
   * retry the same model (retryable, tries left, backoff fits the deadline), or move on.
   */
  private async afterFailure(
    run: ChainRun,
    failure: { error: ProviderError; deadline: boolean },
    failures: number,
  ): Promise<'retry' | 'next_model'> {
    const { error } = failure;
    if (error.errorClass === 'cancelled')
      throw run.error('cancelled', 'the caller cancelled the request', error);
    if (failure.deadline) throw run.error('deadline_exceeded', 'the chain ran out of time', error);
    if (!isRetryable(error.errorClass) || failures >= this.maxAttemptsPerModel) return 'next_model';
    const delay = this.deps.backoff.delayMs(failures, error.retryAfterMs);
    if (delay === undefined || this.deps.clock.now() + delay >= run.deadline) return 'next_model';
    try {
      await this.deps.sleeper.sleep(delay, run.signal);
    } catch (err) {
      if (run.signal?.aborted) throw run.error('cancelled', 'the caller cancelled the request', err);
      throw err;
    }
    return 'retry';
  }
}
