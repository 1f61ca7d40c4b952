import { ManualClock } from '@flywheel/platform';
import type { ProviderConfig } from '../config.types';
import type { LlmDelta, LlmRequest, LlmResponse, LlmStreamEvent } from '../llm/llm.types';
import type { LlmProvider, ProviderCallOptions } from '../providers/llm-provider';
import { ProviderError } from '../providers/provider-error';
import { ProviderRegistry } from '../providers/provider-registry';
import { Backoff } from '../resilience/backoff';
import { CircuitBreakers } from '../resilience/circuit-breakers';
import type { Sleeper } from '../runtime/sleeper';
import { SchemaValidator } from '../structured/schema-validator';
import {
  ChainExecutor,
  type ChainExecutorDeps,
  type ChainExecutorOptions,
  type ChainVariant,
} from './chain-executor';
import { GatewayError } from './gateway-error';
import { ModelCatalog } from './model-catalog';

/**
 * The chain's decisions against scripted providers: a manual clock, a sleeper that only
 * advances it, and jitter fixed at 0.5, so every delay and attempt is exact.
 */

const T0 = Date.parse('2026-01-01T00:00:00Z');
const validator = new SchemaValidator();
const usage = { input_tokens: 10, output_tokens: 20, total_tokens: 30 };
const messages = [{ role: 'user' as const, content: 'Capital of France?' }];

type Step = (req: LlmRequest, signal: AbortSignal) => Promise<LlmResponse>;
type StreamStep = (req: LlmRequest, signal: AbortSignal) => AsyncIterable<LlmStreamEvent>;

const says =
  (text: string): Step =>
  () =>
    Promise.resolve({ text, usage, finish_reason: 'stop' });
const fails =
  (errorClass: ProviderError['errorClass'], status?: number, retryAfterMs?: number): Step =>
  () =>
    Promise.reject(new ProviderError(errorClass, `${errorClass}`, status, retryAfterMs));
const hangs: Step = (_req, signal) =>
  new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));

/** One fake upstream; each model name has a queue of steps (the last one repeats). */
class ScriptedProvider implements LlmProvider {
  readonly calls: LlmRequest[] = [];
  readonly signals: AbortSignal[] = [];
  private readonly steps = new Map<string, Step[]>();
  private readonly streams = new Map<string, StreamStep[]>();

  script(model: string, ...steps: Step[]): this {
    this.steps.set(model, steps);
    return this;
  }

  scriptStream(model: string, ...steps: StreamStep[]): this {
    this.streams.set(model, steps);
    return this;
  }

  complete(req: LlmRequest, { signal }: ProviderCallOptions): Promise<LlmResponse> {
    this.calls.push(req);
    this.signals.push(signal);
    return next(this.steps, req.model)(req, signal);
  }

  stream(req: LlmRequest, { signal }: ProviderCallOptions): AsyncIterable<LlmStreamEvent> {
    this.calls.push(req);
    this.signals.push(signal);
    return next(this.streams, req.model)(req, signal);
  }

  callsTo(model: string): LlmRequest[] {
    return this.calls.filter((c) => c.model === model);
  }
}

function next<T>(queues: Map<string, T[]>, model: string): T {
  const queue = queues.get(model);
  if (!queue || queue.length === 0) throw new Error(`no script for ${model}`);
  return (queue.length > 1 ? queue.shift() : queue[0]) as T;
}

async function* events(...items: (LlmStreamEvent | Error)[]): AsyncIterable<LlmStreamEvent> {
  for (const item of items) {
    if (item instanceof Error) throw item;
    yield item;
  }
}
const delta = (text: string): LlmStreamEvent => ({ type: 'delta', text });
const done: LlmStreamEvent = { type: 'done', finish_reason: 'stop', usage };

interface Harness {
  executor: ChainExecutor;
  provider: ScriptedProvider;
  clock: ManualClock;
  sleeps: number[];
}

function harness(
  options: Partial<ChainExecutorOptions> = {},
  sleeper?: Sleeper,
  breakers = new CircuitBreakers({ consecutiveFailures: 100, halfOpenAfterMs: 1_000 }),
  observers: ChainExecutorDeps['observers'] = [],
): Harness {
  const clock = new ManualClock(T0);
  const provider = new ScriptedProvider();
  const providers: Record<string, ProviderConfig> = {
    fake: { kind: 'openai', api_key_env: 'FAKE_KEY', timeout_ms: 30_000 },
  };
  const price = { input_per_mtok: 1, output_per_mtok: 2 };
  const models = Object.fromEntries(
    ['a', 'b', 'c'].map((id) => [id, { provider: 'fake', model: id, price }]),
  );
  const registry = new ProviderRegistry(providers, {
    kinds: { openai: () => provider },
    env: { FAKE_KEY: 'k' },
  });
  const sleeps: number[] = [];
  const executor = new ChainExecutor(
    {
      catalog: new ModelCatalog({ providers, models }, registry),
      breakers,
      backoff: new Backoff({ baseMs: 100, maxMs: 1_000, retryAfterCapMs: 2_000 }, { next: () => 0.5 }),
      validator,
      clock,
      observers,
      sleeper: sleeper ?? {
        sleep: (ms) => {
          sleeps.push(ms);
          clock.advance(ms);
          return Promise.resolve();
        },
      },
    },
    options,
  );
  return { executor, provider, clock, sleeps };
}

async function failure(p: Promise<unknown>): Promise<GatewayError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('expected a GatewayError');
}

const statuses = (attempts: { model: string; status: string; try?: number }[]) =>
  attempts.map((a) => `${a.model}#${a.try}:${a.status}`);

describe('ChainExecutor.complete', () => {
  it('answers from the first model and records one priced attempt', async () => {
    const { executor, provider } = harness();
    provider.script('a', says('Paris'));
    const result = await executor.complete(
      { chain: ['a', 'b'], system: 'Be brief.', temperature: 0 },
      { messages },
    );
    expect(result.response.text).toBe('Paris');
    expect(result.final_model).toBe('a');
    expect(result.attempts).toEqual([
      {
        model: 'a',
        provider: 'fake',
        status: 'ok',
        latency_ms: 0,
        started_at: '2026-01-01T00:00:00.000Z',
        try: 1,
        usage,
        cost_usd: 0.00005,
      },
    ]);
    expect(result.validation).toEqual({ schema: false, valid: true, repaired: false, reasks: 0 });
    expect(provider.calls[0]).toEqual({
      model: 'a',
      messages,
      system: 'Be brief.',
      temperature: 0,
      max_tokens: undefined,
      output_schema: undefined,
    });
  });

  it('retries a 5xx on the same model with full-jitter backoff, then succeeds', async () => {
    const { executor, provider, sleeps } = harness();
    provider.script('a', fails('server_error', 500), fails('server_error', 503), says('Paris'));
    const result = await executor.complete({ chain: ['a', 'b'] }, { messages });
    expect(statuses(result.attempts)).toEqual(['a#1:error', 'a#2:error', 'a#3:ok']);
    expect(result.attempts[0]).toMatchObject({ error_class: 'server_error', http_status: 500 });
    expect(sleeps).toEqual([50, 100]); // 0.5 × 100, 0.5 × 200
    expect(result.usage).toEqual(usage); // failed attempts reported no usage
  });

  it('tries a model at most 3 times, then falls back to the next one', async () => {
    const { executor, provider, sleeps } = harness();
    provider.script('a', fails('network')).script('b', says('Paris'));
    const result = await executor.complete({ chain: ['a', 'b'] }, { messages });
    expect(statuses(result.attempts)).toEqual(['a#1:error', 'a#2:error', 'a#3:error', 'b#1:ok']);
    expect(sleeps).toHaveLength(2);
    expect(result.final_model).toBe('b');
  });

  it('does not retry a client error or an auth failure: next model at once', async () => {
    const { executor, provider, sleeps } = harness();
    provider
      .script('a', fails('bad_request', 400))
      .script('b', fails('auth', 401))
      .script('c', says('Paris'));
    const result = await executor.complete({ chain: ['a', 'b', 'c'] }, { messages });
    expect(statuses(result.attempts)).toEqual(['a#1:error', 'b#1:error', 'c#1:ok']);
    expect(sleeps).toEqual([]);
  });

  it('waits out a Retry-After within the cap before retrying', async () => {
    const { executor, provider, sleeps } = harness();
    provider.script('a', fails('rate_limited', 429, 1_500), says('Paris'));
    const result = await executor.complete({ chain: ['a'] }, { messages });
    expect(sleeps).toEqual([1_500]);
    expect(statuses(result.attempts)).toEqual(['a#1:error', 'a#2:ok']);
    expect(result.attempts[1]?.started_at).toBe('2026-01-01T00:00:01.500Z');
  });

  it('moves on instead of waiting out a Retry-After beyond the cap', async () => {
    const { executor, provider, sleeps } = harness();
    provider.script('a', fails('rate_limited', 429, 30_000)).script('b', says('Paris'));
    const result = await executor.complete({ chain: ['a', 'b'] }, { messages });
    expect(sleeps).toEqual([]);
    expect(statuses(result.attempts)).toEqual(['a#1:error', 'b#1:ok']);
  });

  it('does not sleep past the deadline: it moves on instead', async () => {
    const { executor, provider, sleeps } = harness();
    provider.script('a', fails('rate_limited', 429, 1_500)).script('b', says('Paris'));
    const result = await executor.complete({ chain: ['a', 'b'], deadline_ms: 1_000 }, { messages });
    expect(sleeps).toEqual([]);
    expect(result.final_model).toBe('b');
  });

  it('skips a model whose breaker is open without calling it', async () => {
    const breakers = new CircuitBreakers({ consecutiveFailures: 1, halfOpenAfterMs: 60_000 });
    const { executor, provider } = harness({}, undefined, breakers);
    provider.script('a', fails('server_error', 500)).script('b', says('Paris'));
    await executor.complete({ chain: ['a', 'b'] }, { messages });
    const second = await executor.complete({ chain: ['a', 'b'] }, { messages });
    expect(statuses(second.attempts)).toEqual(['a#1:circuit_open', 'b#1:ok']);
    expect(second.attempts[0]).toMatchObject({ error_class: 'circuit_open' });
    expect(provider.callsTo('a')).toHaveLength(1);
  });

  it('fails with upstream_unavailable and every attempt when the whole chain fails', async () => {
    const { executor, provider } = harness({ maxAttemptsPerModel: 1 });
    provider.script('a', fails('server_error', 500)).script('b', fails('timeout'));
    const err = await failure(executor.complete({ chain: ['a', 'b'] }, { messages }));
    expect(err.code).toBe('upstream_unavailable');
    expect(statuses(err.outcome.attempts)).toEqual(['a#1:error', 'b#1:timeout']);
    expect(err.details).toBeUndefined();
  });

  it('fails with upstream_rejected when every model refused the request as invalid', async () => {
    const { executor, provider } = harness();
    provider.script('a', fails('bad_request', 400)).script('b', fails('bad_request', 400));
    expect((await failure(executor.complete({ chain: ['a', 'b'] }, { messages }))).code).toBe(
      'upstream_rejected',
    );
  });

  it('fails with unknown_model before calling anything when a chain names an unknown model', async () => {
    const { executor, provider } = harness();
    const err = await failure(executor.complete({ chain: ['a', 'nope'] }, { messages }));
    expect(err.code).toBe('unknown_model');
    expect(provider.calls).toHaveLength(0);
  });

  it('times a hung attempt out after timeout_ms, records it, and moves on', async () => {
    const { executor, provider } = harness();
    provider.script('a', hangs).script('b', says('Paris'));
    const result = await executor.complete({ chain: ['a', 'b'], timeout_ms: 20 }, { messages });
    expect(result.attempts.map((a) => [a.status, a.error_class])).toEqual([
      ['timeout', 'timeout'],
      ['ok', undefined],
    ]);
    expect(provider.signals[0]?.aborted).toBe(true);
  });

  it('stops the chain with deadline_exceeded when the deadline, not the attempt timeout, ran out', async () => {
    const { executor, provider, clock } = harness();
    provider.script('a', hangs).script('b', says('Paris'));
    const err = await failure(
      executor.complete(
        { chain: ['a', 'b'], timeout_ms: 5_000 },
        { messages },
        { deadline: clock.now() + 20 },
      ),
    );
    expect(err.code).toBe('deadline_exceeded');
    expect(statuses(err.outcome.attempts)).toEqual(['a#1:timeout']);
    expect(provider.callsTo('b')).toHaveLength(0);
  });

  it('fails with deadline_exceeded without calling upstream when the deadline already passed', async () => {
    const { executor, provider, clock } = harness();
    const err = await failure(executor.complete({ chain: ['a'] }, { messages }, { deadline: clock.now() }));
    expect(err.code).toBe('deadline_exceeded');
    expect(provider.calls).toHaveLength(0);
  });

  it('aborts the upstream call when the caller signal aborts, and reports cancelled', async () => {
    const { executor, provider } = harness();
    let started!: () => void;
    const callStarted = new Promise<void>((r) => (started = r));
    provider.script('a', (req, signal) => {
      started();
      return hangs(req, signal);
    });
    const controller = new AbortController();
    const pending = failure(
      executor.complete({ chain: ['a', 'b'] }, { messages }, { signal: controller.signal }),
    );
    await callStarted;
    controller.abort();
    const err = await pending;
    expect(err.code).toBe('cancelled');
    expect(provider.signals[0]?.aborted).toBe(true);
    expect(err.outcome.attempts.map((a) => [a.status, a.error_class])).toEqual([['error', 'cancelled']]);
    expect(provider.callsTo('b')).toHaveLength(0);
  });

  it('cancels during a backoff wait', async () => {
    const controller = new AbortController();
    const sleeper: Sleeper = {
      sleep: (_ms, signal) =>
        new Promise((_resolve, reject) => {
          signal?.addEventListener('abort', () => reject(new Error('aborted')));
          controller.abort();
        }),
    };
    const { executor, provider } = harness({}, sleeper);
    provider.script('a', fails('server_error', 500), says('late'));
    const err = await failure(
      executor.complete({ chain: ['a'] }, { messages }, { signal: controller.signal }),
    );
    expect(err.code).toBe('cancelled');
    expect(provider.calls).toHaveLength(1);
  });
});

describe('ChainExecutor.complete with an output_schema', () => {
  const schema = {
    type: 'object',
    properties: { city: { type: 'string' }, population: { type: 'integer' } },
    required: ['city', 'population'],
    additionalProperties: false,
  };
  const variant = (chain: string[], reask?: number): ChainVariant => ({
    chain,
    output_schema: schema,
    ...(reask === undefined ? {} : { repair: { reask } }),
  });

  it('asks natively for the schema and returns the parsed, validated value', async () => {
    const { executor, provider } = harness();
    provider.script('a', says('{"city":"Paris","population":2100000}'));
    const result = await executor.complete(variant(['a']), { messages });
    expect(provider.calls[0]?.output_schema).toEqual({ name: 'output', schema });
    expect(result.response.json).toEqual({ city: 'Paris', population: 2100000 });
    expect(result.validation).toEqual({ schema: true, valid: true, repaired: false, reasks: 0 });
  });

  it('repairs almost-JSON without a re-ask and marks the attempt repaired', async () => {
    const { executor, provider } = harness();
    provider.script('a', says('{"city":"Paris","population":2100000,'));
    const result = await executor.complete(variant(['a']), { messages });
    expect(result.response.text).toBe('{"city":"Paris","population":2100000}');
    expect(result.validation).toEqual({ schema: true, valid: true, repaired: true, reasks: 0 });
    expect(result.attempts).toEqual([expect.objectContaining({ status: 'ok', repaired: true })]);
    expect(provider.calls).toHaveLength(1);
  });

  it('re-asks the same model with the validation errors, and accepts the corrected answer', async () => {
    const { executor, provider } = harness();
    provider.script('a', says('{"city":"Paris"}'), says('{"city":"Paris","population":2100000}'));
    const result = await executor.complete(variant(['a', 'b'], 1), { messages });
    expect(statuses(result.attempts)).toEqual(['a#1:invalid_output', 'a#2:ok']);
    expect(result.attempts[0]).toMatchObject({ error_class: 'invalid_output', usage, repaired: false });
    expect(result.validation).toEqual({ schema: true, valid: true, repaired: false, reasks: 1 });
    const reask = provider.calls[1]?.messages ?? [];
    expect(reask.slice(0, 1)).toEqual(messages);
    expect(reask[1]).toEqual({ role: 'assistant', content: '{"city":"Paris"}' });
    expect(reask[2]?.content).toContain("- /: must have required property 'population'");
    // both answers were paid for
    expect(result.usage).toEqual({ input_tokens: 20, output_tokens: 40, total_tokens: 60 });
    expect(result.cost_usd).toBe(0.0001);
  });

  it('after the re-asks, moves to the next model with the original messages', async () => {
    const { executor, provider } = harness();
    provider.script('a', says('{"city":1}')).script('b', says('{"city":"Paris","population":1}'));
    const result = await executor.complete(variant(['a', 'b'], 2), { messages });
    expect(statuses(result.attempts)).toEqual([
      'a#1:invalid_output',
      'a#2:invalid_output',
      'a#3:invalid_output',
      'b#1:ok',
    ]);
    expect(provider.callsTo('b')[0]?.messages).toEqual(messages);
    expect(result.validation.reasks).toBe(2);
  });

  it('does not re-ask when repair.reask is 0', async () => {
    const { executor, provider } = harness();
    provider.script('a', says('[]')).script('b', says('{"city":"Paris","population":1}'));
    const result = await executor.complete(variant(['a', 'b'], 0), { messages });
    expect(statuses(result.attempts)).toEqual(['a#1:invalid_output', 'b#1:ok']);
  });

  it('fails with structured_output_invalid, carrying the errors, when no model validates', async () => {
    const { executor, provider } = harness();
    provider.script('a', says('not json at all [')).script('b', says('{"city":"Paris","population":"many"}'));
    const err = await failure(executor.complete(variant(['a', 'b'], 0), { messages }));
    expect(err.code).toBe('structured_output_invalid');
    // the last model's errors
    expect(err.details?.errors).toEqual([{ path: '/population', message: 'must be integer' }]);
    expect(err.outcome.validation).toMatchObject({ schema: true, valid: false, reasks: 0 });
    expect(statuses(err.outcome.attempts)).toEqual(['a#1:invalid_output', 'b#1:invalid_output']);
  });
});

describe('ChainExecutor.stream', () => {
  async function drain(stream: AsyncIterable<LlmDelta>): Promise<{ deltas: string[]; error?: unknown }> {
    const deltas: string[] = [];
    try {
      for await (const d of stream) deltas.push(d.type === 'delta' ? d.text : `tool:${d.arguments}`);
    } catch (error) {
      return { deltas, error };
    }
    return { deltas };
  }

  it('streams deltas and settles the final record', async () => {
    const { executor, provider } = harness();
    provider.scriptStream('a', () => events(delta('Par'), delta('is'), done));
    const stream = executor.stream({ chain: ['a'] }, { messages });
    expect(await drain(stream)).toEqual({ deltas: ['Par', 'is'] });
    const result = await stream.result;
    expect(result.response).toEqual({ text: 'Paris', usage, finish_reason: 'stop' });
    expect(statuses(result.attempts)).toEqual(['a#1:ok']);
  });

  it('fails over before the first token', async () => {
    const { executor, provider } = harness({ maxAttemptsPerModel: 1 });
    provider
      .scriptStream('a', () => events(new ProviderError('server_error', 'boom', 500)))
      .scriptStream('b', () => events(delta('Paris'), done));
    const stream = executor.stream({ chain: ['a', 'b'] }, { messages });
    expect((await drain(stream)).deltas).toEqual(['Paris']);
    expect(statuses((await stream.result).attempts)).toEqual(['a#1:error', 'b#1:ok']);
  });

  it('fails over when the first token does not come within first_token_timeout_ms', async () => {
    const { executor, provider } = harness();
    provider
      .scriptStream('a', (_req, signal) => ({
        async *[Symbol.asyncIterator]() {
          await new Promise((_r, reject) =>
            signal.addEventListener('abort', () => reject(new Error('aborted'))),
          );
          yield delta('never');
        },
      }))
      .scriptStream('b', () => events(delta('Paris'), done));
    const stream = executor.stream({ chain: ['a', 'b'], first_token_timeout_ms: 20 }, { messages });
    expect((await drain(stream)).deltas).toEqual(['Paris']);
    expect((await stream.result).attempts.map((a) => a.status)).toEqual(['timeout', 'ok']);
  });

  it('after the first token, a break is a typed truncated error and a truncated attempt', async () => {
    const { executor, provider } = harness();
    provider
      .scriptStream('a', () => events(delta('Pa'), new ProviderError('network', 'terminated')))
      .scriptStream('b', () => events(delta('never used'), done));
    const stream = executor.stream({ chain: ['a', 'b'] }, { messages });
    const { deltas, error } = await drain(stream);
    expect(deltas).toEqual(['Pa']);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ code: 'truncated' });
    await expect(stream.result).rejects.toBe(error);
    const { outcome } = error as GatewayError;
    expect(outcome.attempts).toEqual([
      expect.objectContaining({ status: 'truncated', error_class: 'truncated' }),
    ]);
    expect(outcome).toMatchObject({ final_model: 'a', partial_output: 'Pa' });
    expect(provider.callsTo('b')).toHaveLength(0);
  });

  it('when the consumer stops reading, aborts upstream and records a cancelled attempt', async () => {
    const { executor, provider } = harness();
    provider.scriptStream('a', () => events(delta('Pa'), delta('ris'), done));
    const stream = executor.stream({ chain: ['a'] }, { messages });
    for await (const d of stream) {
      expect(d).toEqual({ type: 'delta', text: 'Pa' });
      break;
    }
    const err = await failure(stream.result);
    expect(err.code).toBe('cancelled');
    expect(err.outcome.attempts).toEqual([
      expect.objectContaining({ status: 'error', error_class: 'cancelled' }),
    ]);
    expect(provider.signals[0]?.aborted).toBe(true);
  });

  it('rejects streamed output that fails the schema (no re-ask once tokens went out)', async () => {
    const { executor, provider } = harness();
    provider.scriptStream('a', () => events(delta('{"city":'), delta('1}'), done));
    const stream = executor.stream(
      { chain: ['a'], output_schema: { type: 'object', properties: { city: { type: 'string' } } } },
      { messages },
    );
    const { deltas, error } = await drain(stream);
    expect(deltas.join('')).toBe('{"city":1}');
    expect(error).toMatchObject({
      code: 'structured_output_invalid',
      details: { errors: [{ path: '/city' }] },
    });
    expect((error as GatewayError).outcome.attempts.map((a) => a.status)).toEqual(['invalid_output']);
  });

  it('passes tool-call deltas on and joins them into the final tool calls, skipping the schema', async () => {
    const { executor, provider } = harness();
    provider.scriptStream('a', () =>
      events(
        { type: 'tool_call', index: 0, id: 'call_1', name: 'f', arguments: '{"q"' },
        { type: 'tool_call', index: 0, arguments: ':1}' },
        { type: 'done', finish_reason: 'tool_call', usage },
      ),
    );
    const stream = executor.stream(
      {
        chain: ['a'],
        output_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      },
      { messages, tools: [{ name: 'f', parameters: { type: 'object' } }], tool_choice: 'auto' },
    );
    expect(await drain(stream)).toEqual({ deltas: ['tool:{"q"', 'tool::1}'] });
    const result = await stream.result;
    expect(result.response.tool_calls).toEqual([{ id: 'call_1', name: 'f', arguments: '{"q":1}' }]);
    expect(result.response.finish_reason).toBe('tool_call');
    expect(provider.calls[0]).toMatchObject({ tools: [{ name: 'f' }], tool_choice: 'auto' });
  });
});

describe('attempt observers', () => {
  it('hear every attempt once, in order, whatever the outcome, without changing the decisions', async () => {
    const heard: string[] = [];
    const observer = {
      answered: (
        info: { model: { id: string }; tryNo: number },
        _now: number,
        _u: unknown,
        o: { status: string },
      ) => heard.push(`${info.model.id}#${info.tryNo}:${o.status}`),
      failed: (info: { model: { id: string }; tryNo: number }, _now: number, e: ProviderError) =>
        heard.push(`${info.model.id}#${info.tryNo}:${e.errorClass}`),
    };
    const { executor, provider } = harness({}, undefined, undefined, [observer]);
    provider.script('a', fails('server_error', 500), fails('bad_request', 400)).script('b', says('Paris'));
    const result = await executor.complete({ chain: ['a', 'b'] }, { messages });
    expect(heard).toEqual(['a#1:server_error', 'a#2:bad_request', 'b#1:ok']);
    expect(statuses(result.attempts)).toEqual(['a#1:error', 'a#2:error', 'b#1:ok']);
  });
});
