import type { Clock } from '@flywheel/platform';
import { type LlmDelta, type LlmResponse, type LlmStreamEvent, ZERO_USAGE } from '../llm/llm.types';
import { ToolCallAccumulator } from '../llm/tool-calls';
import { ProviderError, toProviderError } from '../providers/provider-error';
import { AttemptScope } from '../resilience/attempt-scope';
import type { CircuitBreakers } from '../resilience/circuit-breakers';
import { checkOutput } from '../structured/structured-output';
import type { AttemptInfo } from './attempt-log';
import type { AttemptLoop, AttemptOutcome } from './attempt-loop';
import type { ChainResult, ChainRun, ChainStream } from './chain-run';
import { GatewayError } from './gateway-error';

export interface ChainStreamDeps {
  breakers: CircuitBreakers;
  clock: Clock;
}

/** A stream past its first event: from here on the chain is committed to its model. */
interface Opened {
  info: AttemptInfo;
  scope: AttemptScope;
  iterator: AsyncIterator<LlmStreamEvent>;
  first: LlmStreamEvent;
}

/** What went out to the consumer of the committed stream. */
interface Live {
  info: AttemptInfo;
  parts: string[];
  toolCalls: ToolCallAccumulator;
}

type Settle = { resolve: (r: ChainResult) => void; reject: (e: unknown) => void };

/**
 * The streaming side of the chain: the shared attempts loop runs until a stream yields its
 * first event (failover is free until then: nothing has reached the consumer), then the
 * deltas are passed on as they come. A break after that is a typed `truncated` error, a
 * consumer that stops reading aborts upstream, and the end is checked against the output
 * schema (no re-ask: the tokens are already out).
 */
export function streamChain(deps: ChainStreamDeps, loop: AttemptLoop, begin: () => ChainRun): ChainStream {
  let settle!: Settle;
  const result = new Promise<ChainResult>((resolve, reject) => (settle = { resolve, reject }));
  result.catch(() => undefined); // a consumer that only iterates sees the error there
  const committed: { model: string | null } = { model: null };
  const deltas = pump(deps, loop, begin, settle, committed);
  return {
    [Symbol.asyncIterator]: () => deltas,
    result,
    get model() {
      return committed.model;
    },
  };
}

async function* pump(
  deps: ChainStreamDeps,
  loop: AttemptLoop,
  begin: () => ChainRun,
  settle: Settle,
  committed: { model: string | null },
): AsyncGenerator<LlmDelta, void, undefined> {
  let settled = false;
  let run: ChainRun | undefined;
  let opened: Opened | undefined;
  let live: Live | undefined;
  try {
    run = begin();
    const current = run;
    opened = (await loop.run(run, (info, messages) => open(deps, current, info, messages))).value;
    const { scope, iterator } = opened;
    // first event: committed to this model; only the deadline applies from here on
    scope.arm(run.deadline - deps.clock.now(), 'deadline');
    live = { info: opened.info, parts: [], toolCalls: new ToolCallAccumulator() };
    committed.model = opened.info.model.id;
    let event = opened.first;
    while (event.type !== 'done') {
      if (event.type === 'delta') live.parts.push(event.text);
      else live.toolCalls.add(event);
      yield event;
      let next: IteratorResult<LlmStreamEvent>;
      try {
        next = await iterator.next();
      } catch (err) {
        throw truncated(deps, run, live, scope.classify(err, deps.clock.now()));
      }
      if (next.done) throw truncated(deps, run, live, new ProviderError('truncated', 'stream ended early'));
      event = next.value;
    }
    const done = live;
    live = undefined;
    settle.resolve(await finish(deps, run, done, event));
    settled = true;
  } catch (err) {
    settled = true;
    settle.reject(err);
    throw err;
  } finally {
    if (!settled) {
      // the consumer stopped iterating early: abort upstream and record why
      opened?.scope.cancel();
      const error = new ProviderError('cancelled', 'the consumer stopped reading the stream');
      if (run && live) run.failed(live.info, deps.clock.now(), error);
      settle.reject(
        run
          ? new GatewayError(
              'cancelled',
              error.message,
              run.outcome(live?.info.model.id ?? null, live?.parts.join('')),
            )
          : error,
      );
    }
    opened?.scope.dispose();
    void opened?.iterator.return?.().catch(() => undefined);
  }
}

/** One attempt: opens a stream through the model's breaker and waits for its first event (or its end). */
async function open(
  deps: ChainStreamDeps,
  run: ChainRun,
  info: AttemptInfo,
  messages: Parameters<ChainRun['request']>[1],
): Promise<AttemptOutcome<Opened>> {
  const { model } = info;
  const scope = new AttemptScope(run.signal);
  const variant = run.variant;
  run.armTimer(
    scope,
    variant.first_token_timeout_ms ?? variant.timeout_ms ?? model.timeoutMs,
    deps.clock.now(),
  );
  const request = run.request(model, messages);
  try {
    return await deps.breakers.execute(model.id, async () => {
      try {
        const iterator = model.provider.stream(request, { signal: scope.signal })[Symbol.asyncIterator]();
        const first = await iterator.next();
        if (first.done) throw new ProviderError('network', 'stream ended before its first event');
        return { kind: 'committed' as const, value: { info, scope, iterator, first: first.value } };
      } catch (err) {
        throw scope.classify(err, deps.clock.now());
      }
    });
  } catch (err) {
    scope.dispose();
    return {
      kind: 'failed',
      error: toProviderError(err, deps.clock.now()),
      deadline: scope.cause === 'deadline',
    };
  }
}

/** The final record of a stream that ran to its end; throws if its output fails the schema. */
async function finish(
  deps: ChainStreamDeps,
  run: ChainRun,
  live: Live,
  done: Extract<LlmStreamEvent, { type: 'done' }>,
): Promise<ChainResult> {
  const now = deps.clock.now();
  const response: LlmResponse = {
    text: live.parts.join(''),
    usage: done.usage ?? ZERO_USAGE,
    finish_reason: done.finish_reason,
  };
  if (done.response_model !== undefined) response.response_model = done.response_model;
  if (done.response_id !== undefined) response.response_id = done.response_id;
  const toolCalls = live.toolCalls.result();
  if (toolCalls !== undefined) response.tool_calls = toolCalls;
  const { model } = live.info;
  const schema = run.prepared.schema;
  if (!schema || toolCalls !== undefined) {
    run.answered(live.info, now, done.usage, { status: 'ok' });
    return run.result(model, response, false, now);
  }
  const check = await checkOutput(response, schema);
  run.answered(live.info, now, done.usage, {
    status: check.valid ? 'ok' : 'invalid_output',
    repaired: check.repaired,
  });
  if (!check.valid) {
    run.lastInvalid = check.errors;
    run.lastRepaired = check.repaired;
    throw run.error('structured_output_invalid', 'the streamed output does not match the output schema');
  }
  return run.result(model, { ...response, text: check.text, json: check.value }, check.repaired, now);
}

function truncated(deps: ChainStreamDeps, run: ChainRun, live: Live, error: ProviderError): GatewayError {
  const cancelled = error.errorClass === 'cancelled';
  const recorded =
    cancelled || error.errorClass === 'timeout'
      ? error
      : new ProviderError('truncated', error.message, error.httpStatus, undefined, { cause: error });
  run.failed(live.info, deps.clock.now(), recorded, cancelled ? 'error' : 'truncated');
  const outcome = run.outcome(live.info.model.id, live.parts.join(''));
  const model = live.info.model.id;
  return cancelled
    ? new GatewayError('cancelled', 'the caller cancelled the request', outcome, undefined, error)
    : new GatewayError(
        'truncated',
        `the stream from ${model} broke after it started`,
        outcome,
        undefined,
        error,
      );
}
