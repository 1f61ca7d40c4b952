import Anthropic from '@anthropic-ai/sdk';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { expectEventually } from '@flywheel/platform/testing';
import Ajv2020 from 'ajv/dist/2020';
import OpenAI from 'openai';
import { createSimServer, type SimServer } from '../src';

/**
 * The simulator through the real `openai` and `@anthropic-ai/sdk` clients, as the gateway will
 * call it (maxRetries: 0). Asserts what the SDKs actually surface for each fault.
 */

const schema = {
  type: 'object' as const,
  additionalProperties: false,
  properties: {
    sentiment: { type: 'string', enum: ['positive', 'negative', 'neutral'] },
    confidence: { type: 'number', minimum: 0, maximum: 1 },
    summary: { type: 'string', minLength: 5 },
    tags: { type: 'array', items: { type: 'string' }, minItems: 1 },
    reviewer: { type: ['object', 'null'], properties: { name: { type: 'string' } }, required: ['name'] },
  },
  required: ['sentiment', 'confidence', 'summary', 'tags', 'reviewer'],
};
const validate = new Ajv2020({ strict: false }).compile(schema);

const execFileAsync = promisify(execFile);

const question = 'How was the movie?';
const messages = [{ role: 'user' as const, content: question }];

let sim: SimServer;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  sim = await createSimServer();
  openai = new OpenAI({ apiKey: 'sk-test', baseURL: `${sim.url}/v1`, maxRetries: 0 });
  anthropic = new Anthropic({ apiKey: 'sk-ant-test', baseURL: sim.url, maxRetries: 0 });
});

afterAll(async () => {
  await sim.close();
});

beforeEach(() => sim.reset());

/** The rejection of `promise`; fails the test if it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** Iterates `stream` to its end or its error, keeping what arrived before. */
async function drain<T>(stream: AsyncIterable<T>): Promise<{ items: T[]; error?: unknown }> {
  const items: T[] = [];
  try {
    for await (const item of stream) items.push(item);
  } catch (error) {
    return { items, error };
  }
  return { items };
}

async function waitUntilIdle(): Promise<void> {
  await expectEventually(() => {
    const { inFlight, pendingTimers } = sim.stats();
    expect({ inFlight, pendingTimers }).toEqual({ inFlight: 0, pendingTimers: 0 });
  });
}

describe('OpenAI Chat Completions', () => {
  it('answers deterministically from the input, with usage', async () => {
    const a = await openai.chat.completions.create({ model: 'sim-ok', messages });
    const again = await openai.chat.completions.create({ model: 'sim-ok', messages });
    const other = await openai.chat.completions.create({
      model: 'sim-ok',
      messages: [{ role: 'user', content: 'Something else' }],
    });
    const text = a.choices[0]?.message.content ?? '';
    expect(text).toMatch(
      /^This is a simulated answer from sim-ok to "How was the movie\?" \(fingerprint [0-9a-f]{8}\)\.$/,
    );
    expect(again.choices[0]?.message.content).toBe(text);
    expect(other.choices[0]?.message.content).not.toBe(text);
    expect(a.choices[0]?.finish_reason).toBe('stop');
    expect(a.object).toBe('chat.completion');
    expect(a.usage).toEqual({
      prompt_tokens: Math.ceil(`user: ${question}`.length / 4),
      completion_tokens: Math.ceil(text.length / 4),
      total_tokens: Math.ceil(`user: ${question}`.length / 4) + Math.ceil(text.length / 4),
    });
    expect(sim.stats().byModel).toEqual({ 'sim-ok': 3 });
  });

  it('streams chat.completion.chunk deltas, a finish_reason, usage on request, then [DONE]', async () => {
    const full = await openai.chat.completions.create({ model: 'sim-ok', messages });
    const stream = await openai.chat.completions.create({
      model: 'sim-ok',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    const { items, error } = await drain(stream);
    expect(error).toBeUndefined();
    expect(items.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(items[0]?.choices[0]?.delta.role).toBe('assistant');
    expect(items.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(
      full.choices[0]?.message.content,
    );
    expect(items.filter((c) => c.choices[0]?.finish_reason === 'stop')).toHaveLength(1);
    const last = items[items.length - 1];
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toEqual(full.usage);
    expect(items.length).toBeGreaterThan(10);
  });

  it('omits the usage chunk unless stream_options.include_usage', async () => {
    const stream = await openai.chat.completions.create({ model: 'sim-ok', messages, stream: true });
    const { items } = await drain(stream);
    expect(items.some((c) => c.usage)).toBe(false);
    expect(items[items.length - 1]?.choices[0]?.finish_reason).toBe('stop');
  });

  it('returns JSON that validates against a json_schema response_format, streamed or not', async () => {
    const response_format = {
      type: 'json_schema' as const,
      json_schema: { name: 'review', strict: true, schema },
    };
    const res = await openai.chat.completions.create({ model: 'sim-ok', messages, response_format });
    const parsed: unknown = JSON.parse(res.choices[0]?.message.content ?? '');
    expect(validate(parsed)).toBe(true);
    const stream = await openai.chat.completions.create({
      model: 'sim-ok',
      messages,
      response_format,
      stream: true,
    });
    const { items } = await drain(stream);
    expect(items.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(
      res.choices[0]?.message.content,
    );
  });

  it('calls a forced function tool with schema-valid arguments, streamed or not', async () => {
    const tools = [{ type: 'function' as const, function: { name: 'record_review', parameters: schema } }];
    const tool_choice = { type: 'function' as const, function: { name: 'record_review' } };
    const res = await openai.chat.completions.create({ model: 'sim-ok', messages, tools, tool_choice });
    const call = res.choices[0]?.message.tool_calls?.[0];
    expect(res.choices[0]?.finish_reason).toBe('tool_calls');
    expect(call?.type === 'function' && call.function.name).toBe('record_review');
    const args = call?.type === 'function' ? call.function.arguments : '';
    expect(validate(JSON.parse(args))).toBe(true);

    const stream = await openai.chat.completions.create({
      model: 'sim-ok',
      messages,
      tools,
      tool_choice,
      stream: true,
    });
    const { items } = await drain(stream);
    const streamed = items
      .map((c) => c.choices[0]?.delta.tool_calls?.[0]?.function?.arguments ?? '')
      .join('');
    expect(streamed).toBe(args);
    expect(items.find((c) => c.choices[0]?.finish_reason)?.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('sim-echo returns the last user message verbatim, so a test can script the output', async () => {
    const scripted = '{"sentiment":"neutral"}';
    const res = await openai.chat.completions.create({
      model: 'sim-echo',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: scripted },
      ],
      response_format: { type: 'json_object' },
    });
    expect(res.choices[0]?.message.content).toBe(scripted);
  });

  it('cuts the answer at max_completion_tokens with finish_reason length', async () => {
    const res = await openai.chat.completions.create({ model: 'sim-ok', messages, max_completion_tokens: 4 });
    expect(res.choices[0]?.message.content).toBe('This is a simula'); // 4 tokens = 16 characters
    expect(res.choices[0]?.finish_reason).toBe('length');
  });

  it('lists the simulated models', async () => {
    const page = await openai.models.list();
    expect(page.data.map((m) => m.id)).toEqual(expect.arrayContaining(['sim-ok', 'sim-500', 'sim-flaky-50']));
  });
});

describe('Anthropic Messages', () => {
  const base = { model: 'sim-ok', max_tokens: 256, messages };

  it('answers with a text block; the system prompt is part of the input', async () => {
    const res = await anthropic.messages.create(base);
    expect(res.type).toBe('message');
    expect(res.stop_reason).toBe('end_turn');
    const block = res.content[0];
    const text = block?.type === 'text' ? block.text : '';
    expect(text).toMatch(
      /^This is a simulated answer from sim-ok to "How was the movie\?" \(fingerprint [0-9a-f]{8}\)\.$/,
    );
    expect(res.usage.input_tokens).toBe(Math.ceil(`user: ${question}`.length / 4));
    expect(res.usage.output_tokens).toBe(Math.ceil(text.length / 4));
    const withSystem = await anthropic.messages.create({ ...base, system: 'You are terse.' });
    const other = withSystem.content[0];
    expect(other?.type === 'text' && other.text).not.toBe(text);
  });

  it('streams message_start … message_stop with text_delta events; the SDK helper assembles them', async () => {
    const full = await anthropic.messages.create(base);
    const stream = await anthropic.messages.create({ ...base, stream: true });
    const { items, error } = await drain(stream);
    expect(error).toBeUndefined();
    const types = items.map((e) => e.type);
    expect(types.slice(0, 3)).toEqual(['message_start', 'content_block_start', 'content_block_delta']);
    expect(types.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    const text = items
      .map((e) => (e.type === 'content_block_delta' && e.delta.type === 'text_delta' ? e.delta.text : ''))
      .join('');
    expect([full.content[0]]).toEqual([{ type: 'text', text }]);
    const delta = items.find((e) => e.type === 'message_delta');
    expect(delta?.type === 'message_delta' && delta.delta.stop_reason).toBe('end_turn');

    const assembled = await anthropic.messages.stream(base).finalMessage();
    expect(assembled.content).toEqual(full.content);
    expect(assembled.usage.output_tokens).toBe(full.usage.output_tokens);
  });

  it('answers a forced tool with a tool_use block whose input validates, streamed or not', async () => {
    const request = {
      ...base,
      tools: [{ name: 'record_review', description: 'Record it', input_schema: schema }],
      tool_choice: { type: 'tool' as const, name: 'record_review' },
    };
    const res = await anthropic.messages.create(request);
    expect(res.stop_reason).toBe('tool_use');
    const block = res.content[0];
    expect(block?.type === 'tool_use' && block.name).toBe('record_review');
    const input = block?.type === 'tool_use' ? block.input : undefined;
    expect(validate(input)).toBe(true);

    const stream = await anthropic.messages.create({ ...request, stream: true });
    const { items } = await drain(stream);
    const start = items.find((e) => e.type === 'content_block_start');
    expect(start?.type === 'content_block_start' && start.content_block.type).toBe('tool_use');
    const json = items
      .map((e) =>
        e.type === 'content_block_delta' && e.delta.type === 'input_json_delta' ? e.delta.partial_json : '',
      )
      .join('');
    expect(JSON.parse(json)).toEqual(input);
    const assembled = await anthropic.messages.stream(request).finalMessage();
    expect(assembled.content).toEqual([{ ...block, id: expect.stringMatching(/^toolu_sim_\d+$/) }]);
  });

  it('returns schema-valid JSON text for output_config.format json_schema', async () => {
    const res = await anthropic.messages.create({
      ...base,
      output_config: { format: { type: 'json_schema', schema } },
    });
    const block = res.content[0];
    expect(validate(JSON.parse(block?.type === 'text' ? block.text : ''))).toBe(true);
  });

  it('stops at max_tokens with stop_reason max_tokens', async () => {
    const res = await anthropic.messages.create({ ...base, max_tokens: 4 });
    expect(res.content).toEqual([{ type: 'text', text: 'This is a simula' }]);
    expect(res.stop_reason).toBe('max_tokens');
  });

  it('lists the simulated models in Anthropic format', async () => {
    const page = await anthropic.models.list();
    expect(page.data.map((m) => m.id)).toContain('sim-timeout');
    expect(page.data[0]?.type).toBe('model');
  });
});

describe('errors in each provider format', () => {
  it('sim-500 is an InternalServerError after exactly one attempt', async () => {
    const oa = await rejectionOf(openai.chat.completions.create({ model: 'sim-500', messages }));
    expect(oa).toBeInstanceOf(OpenAI.InternalServerError);
    expect(oa).toMatchObject({ status: 500, type: 'server_error' });
    const an = await rejectionOf(anthropic.messages.create({ model: 'sim-500', max_tokens: 10, messages }));
    expect(an).toBeInstanceOf(Anthropic.InternalServerError);
    expect(an).toMatchObject({ status: 500, error: { type: 'error', error: { type: 'api_error' } } });
    expect(sim.stats().byModel).toEqual({ 'sim-500': 2 });
    expect(sim.stats().byStatus).toEqual({ '500': 2 });
  });

  it('sim-429 is a RateLimitError with Retry-After (1 s by default, sim-429-<s> to choose)', async () => {
    const oa = await rejectionOf(openai.chat.completions.create({ model: 'sim-429', messages }));
    expect(oa).toBeInstanceOf(OpenAI.RateLimitError);
    expect(oa instanceof OpenAI.APIError && oa.headers?.get('retry-after')).toBe('1');
    expect(oa).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
    const an = await rejectionOf(anthropic.messages.create({ model: 'sim-429-7', max_tokens: 10, messages }));
    expect(an).toBeInstanceOf(Anthropic.RateLimitError);
    expect(an instanceof Anthropic.APIError && an.headers?.get('retry-after')).toBe('7');
    expect(an).toMatchObject({ error: { error: { type: 'rate_limit_error' } } });
  });

  it('sim-400, sim-503 and sim-529 carry their status', async () => {
    const bad = await rejectionOf(openai.chat.completions.create({ model: 'sim-400', messages }));
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    const unavailable = await rejectionOf(openai.chat.completions.create({ model: 'sim-503', messages }));
    expect(unavailable).toBeInstanceOf(OpenAI.InternalServerError);
    expect(unavailable).toMatchObject({ status: 503 });
    const overloaded = await rejectionOf(
      anthropic.messages.create({ model: 'sim-529', max_tokens: 10, messages }),
    );
    expect(overloaded).toBeInstanceOf(Anthropic.APIError);
    expect(overloaded).toMatchObject({ status: 529, error: { error: { type: 'overloaded_error' } } });
  });

  it('an unknown model is 404 model_not_found / not_found_error', async () => {
    const oa = await rejectionOf(openai.chat.completions.create({ model: 'gpt-4o', messages }));
    expect(oa).toBeInstanceOf(OpenAI.NotFoundError);
    expect(oa).toMatchObject({ status: 404, code: 'model_not_found', param: 'model' });
    const an = await rejectionOf(anthropic.messages.create({ model: 'sim-nope', max_tokens: 10, messages }));
    expect(an).toBeInstanceOf(Anthropic.NotFoundError);
    expect(an).toMatchObject({ error: { error: { type: 'not_found_error', message: 'model: sim-nope' } } });
    expect(sim.stats().byBehaviour).toEqual({ unknown: 2 });
  });

  it('rejects a missing API key with 401 and a malformed body with 400, like the real APIs', async () => {
    const body = JSON.stringify({ model: 'sim-ok', max_tokens: 5, messages });
    const noKey = await fetch(`${sim.url}/v1/chat/completions`, { method: 'POST', body });
    expect(noKey.status).toBe(401);
    expect(await noKey.json()).toMatchObject({ error: { type: 'invalid_request_error', code: null } });
    const noAnthropicKey = await fetch(`${sim.url}/v1/messages`, { method: 'POST', body });
    expect(noAnthropicKey.status).toBe(401);
    expect(await noAnthropicKey.json()).toMatchObject({
      type: 'error',
      error: { type: 'authentication_error' },
    });

    const noMaxTokens = await rejectionOf(
      anthropic.messages.create({
        model: 'sim-ok',
        messages,
      } as unknown as Anthropic.MessageCreateParamsNonStreaming),
    );
    expect(noMaxTokens).toBeInstanceOf(Anthropic.BadRequestError);
    expect(noMaxTokens).toMatchObject({ error: { error: { message: 'max_tokens: Field required' } } });
    const notJson = await fetch(`${sim.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer k' },
      body: '{"model":',
    });
    expect(notJson.status).toBe(400);
    expect(sim.stats().byModel).toEqual({});
  });

  it('exposes stats and reset over HTTP for out-of-process use (benchmarks, npm start)', async () => {
    await openai.chat.completions.create({ model: 'sim-echo', messages });
    const stats = (await (await fetch(`${sim.url}/_sim/stats`)).json()) as {
      byModel: Record<string, number>;
    };
    expect(stats.byModel).toEqual({ 'sim-echo': 1 });
    expect((await fetch(`${sim.url}/_sim/reset`, { method: 'POST' })).status).toBe(200);
    expect(sim.stats().byModel).toEqual({});
  });

  it('serves /healthz without a key and 404s unknown paths', async () => {
    expect(await (await fetch(`${sim.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const missing = await fetch(`${sim.url}/v1/audio/speech`, {
      method: 'POST',
      headers: { authorization: 'Bearer k' },
    });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'unknown_url' } });
  });
});

describe('output faults', () => {
  const response_format = { type: 'json_schema' as const, json_schema: { name: 'review', schema } };
  const tools = [{ name: 'record_review', input_schema: schema }];
  const tool_choice = { type: 'tool' as const, name: 'record_review' };

  it('sim-badjson: OpenAI content is not JSON, but jsonrepair turns it into a valid instance', async () => {
    const { jsonrepair } = await import('jsonrepair'); // ESM-typed package: import() keeps tsc happy under node16
    const res = await openai.chat.completions.create({ model: 'sim-badjson', messages, response_format });
    const content = res.choices[0]?.message.content ?? '';
    expect(() => JSON.parse(content)).toThrow(SyntaxError);
    expect(validate(JSON.parse(jsonrepair(content)))).toBe(true);
  });

  it('sim-badjson: Anthropic tool input is the almost-JSON as a string (non-stream) and as partial_json (stream)', async () => {
    const { jsonrepair } = await import('jsonrepair');
    const res = await anthropic.messages.create({
      model: 'sim-badjson',
      max_tokens: 256,
      messages,
      tools,
      tool_choice,
    });
    const block = res.content[0];
    const input = block?.type === 'tool_use' ? block.input : undefined;
    expect(typeof input).toBe('string');
    expect(validate(JSON.parse(jsonrepair(input as string)))).toBe(true);
    const stream = await anthropic.messages.create({
      model: 'sim-badjson',
      max_tokens: 256,
      messages,
      tools,
      tool_choice,
      stream: true,
    });
    const { items } = await drain(stream);
    const json = items
      .map((e) =>
        e.type === 'content_block_delta' && e.delta.type === 'input_json_delta' ? e.delta.partial_json : '',
      )
      .join('');
    expect(json).toBe(input);
  });

  it('sim-invalidjson: parseable JSON that misses a required field, so a re-ask is needed', async () => {
    const res = await openai.chat.completions.create({ model: 'sim-invalidjson', messages, response_format });
    const parsed: unknown = JSON.parse(res.choices[0]?.message.content ?? '');
    expect(validate(parsed)).toBe(false);
    expect(validate.errors?.[0]).toMatchObject({
      keyword: 'required',
      params: { missingProperty: 'sentiment' },
    });
    const an = await anthropic.messages.create({
      model: 'sim-invalidjson',
      max_tokens: 256,
      messages,
      tools,
      tool_choice,
    });
    const block = an.content[0];
    expect(block?.type === 'tool_use' && typeof block.input).toBe('object');
    expect(validate(block?.type === 'tool_use' ? block.input : undefined)).toBe(false);
  });
});

describe('transport faults', () => {
  // Under Jest the SDKs report their own timeout as a plain APIConnectionError: the abort reason
  // is a DOMException from Node's realm, which fails the SDK's `instanceof Error` inside Jest's VM
  // context, so its AbortError name is lost. Plain Node gets APIConnectionTimeoutError (see the
  // probe test below), so assert the common superclass here.
  it('sim-timeout: the SDK timeout fires and the hung exchange leaves no socket or timer behind', async () => {
    const call = rejectionOf(
      openai.chat.completions.create({ model: 'sim-timeout', messages }, { timeout: 300 }),
    );
    await expectEventually(() => expect(sim.stats().inFlight).toBe(1), { intervalMs: 10 });
    const err = await call;
    expect(err).toBeInstanceOf(OpenAI.APIConnectionError);
    // a response that never started emits 'close' only when its socket closes, so inFlight 0 means
    // the hung connection is gone (undici may dial a fresh keep-alive socket meanwhile)
    await waitUntilIdle();

    const an = await rejectionOf(
      anthropic.messages.create({ model: 'sim-blackhole', max_tokens: 10, messages }, { timeout: 300 }),
    );
    expect(an).toBeInstanceOf(Anthropic.APIConnectionError);
    await waitUntilIdle();
    expect(sim.stats().byStatus).toEqual({});
  });

  it('outside Jest, the SDKs classify sim-timeout as APIConnectionTimeoutError and cutstream as a bare TypeError', async () => {
    const probe = path.join(__dirname, 'fixtures', 'sdk-error-probe.ts');
    const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', probe], {
      cwd: path.resolve(__dirname, '../../..'),
      env: { ...process.env, SIM_URL: sim.url },
      timeout: 60_000,
    });
    const expected = (cls: string): object => ({ class: cls, isApiError: true, isTimeout: true });
    expect(JSON.parse(stdout)).toEqual({
      openaiTimeout: expect.objectContaining(expected('APIConnectionTimeoutError')),
      anthropicTimeout: expect.objectContaining(expected('APIConnectionTimeoutError')),
      openaiCutstream: expect.objectContaining({
        class: 'TypeError',
        message: 'terminated',
        isApiError: false,
        isTypeError: true,
      }),
    });
    expect(sim.stats().byModel).toEqual({ 'sim-timeout': 2, 'sim-cutstream': 1 });
    await waitUntilIdle();
  });

  it('a client giving up on sim-slow-<ms> cancels the pending answer timer', async () => {
    const call = rejectionOf(
      openai.chat.completions.create({ model: 'sim-slow-60000', messages }, { timeout: 300 }),
    );
    await expectEventually(() => expect(sim.stats().pendingTimers).toBe(1), { intervalMs: 10 });
    expect(await call).toBeInstanceOf(OpenAI.APIConnectionError);
    await waitUntilIdle();
  });

  it('sim-slow-<ms> answers normally after the delay', async () => {
    const started = performance.now();
    const res = await openai.chat.completions.create({ model: 'sim-slow-200', messages });
    expect(performance.now() - started).toBeGreaterThanOrEqual(195);
    expect(res.choices[0]?.message.content).toContain('sim-slow-200');
  });

  it('sim-timed ends a text answer with its own time for the request, at least its delay', async () => {
    const res = await openai.chat.completions.create({ model: 'sim-ok-timed-slow-30', messages });
    const ms = /\[sim-ms=(\d+\.\d{3})\]$/.exec(res.choices[0]?.message.content ?? '')?.[1];
    expect(Number(ms)).toBeGreaterThanOrEqual(29);
    const streamed = await openai.chat.completions.create({ model: 'sim-ok-timed', messages, stream: true });
    const { items } = await drain(streamed);
    expect(items.map((c) => c.choices[0]?.delta.content ?? '').join('')).not.toContain('sim-ms');
  });

  it('sim-cutstream: OpenAI stream yields a few deltas, then iteration throws TypeError("terminated")', async () => {
    const stream = await openai.chat.completions.create({ model: 'sim-cutstream', messages, stream: true });
    const { items, error } = await drain(stream);
    expect(items.map((c) => c.choices[0]?.delta.content)).toEqual(['', 'This', ' is', ' a']);
    expect(items.some((c) => c.choices[0]?.finish_reason)).toBe(false);
    // not an OpenAI.APIError: undici's body error escapes the SDK unwrapped (a TypeError from
    // Node's realm, hence matched by name rather than instanceof under Jest)
    expect(error).not.toBeInstanceOf(OpenAI.APIError);
    expect(error).toMatchObject({
      name: 'TypeError',
      message: 'terminated',
      cause: { message: 'other side closed' },
    });
  });

  it('sim-cutstream: Anthropic stream stops after three text deltas, without message_stop, and throws', async () => {
    const stream = await anthropic.messages.create({
      model: 'sim-cutstream',
      max_tokens: 99,
      messages,
      stream: true,
    });
    const { items, error } = await drain(stream);
    expect(items.map((e) => e.type)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_delta',
    ]);
    expect(error).not.toBeInstanceOf(Anthropic.APIError);
    expect(error).toMatchObject({ name: 'TypeError', message: 'terminated' });
  });

  it('sim-cutstream without streaming: half a body, and the SDK throws TypeError("terminated")', async () => {
    const err = await rejectionOf(openai.chat.completions.create({ model: 'sim-cutstream', messages }));
    expect(err).not.toBeInstanceOf(OpenAI.APIError);
    expect(err).toMatchObject({ name: 'TypeError', message: 'terminated' });
  });

  it('sim-reset: the connection drops before any response; the SDK says APIConnectionError', async () => {
    const oa = await rejectionOf(openai.chat.completions.create({ model: 'sim-reset', messages }));
    expect(oa).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(oa).not.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    const an = await rejectionOf(anthropic.messages.create({ model: 'sim-reset', max_tokens: 10, messages }));
    expect(an).toBeInstanceOf(Anthropic.APIConnectionError);
    expect(sim.stats().byBehaviour).toEqual({ reset: 2 });
  });

  it('sim-stall: headers arrive, so the SDK `timeout` never fires; only an abort signal ends the call', async () => {
    // non-streaming: the SDK's 100 ms timeout covers fetch() up to the headers only; the body read
    // hangs until the caller's signal aborts it, surfacing as a bare DOMException AbortError
    const signal = AbortSignal.timeout(400);
    const err = await rejectionOf(
      openai.chat.completions.create({ model: 'sim-stall', messages }, { timeout: 100, signal }),
    );
    expect(err).not.toBeInstanceOf(OpenAI.APIError);
    expect(err).toMatchObject({ name: 'AbortError' });
    expect(signal.aborted).toBe(true);

    // streaming: the first chunk arrives, then the abort ends iteration *silently*
    const streamSignal = AbortSignal.timeout(400);
    const stream = await openai.chat.completions.create(
      { model: 'sim-stall', messages, stream: true },
      { timeout: 100, signal: streamSignal },
    );
    const { items, error } = await drain(stream);
    expect(error).toBeUndefined();
    expect(streamSignal.aborted).toBe(true);
    expect(items.map((c) => c.choices[0]?.delta)).toEqual([
      { role: 'assistant', content: '', refusal: null },
    ]);

    const anStream = await anthropic.messages.create(
      { model: 'sim-stall', max_tokens: 10, messages, stream: true },
      { timeout: 100, signal: AbortSignal.timeout(400) },
    );
    const an = await drain(anStream);
    expect(an.error).toBeUndefined();
    expect(an.items.map((e) => e.type)).toEqual(['message_start']);
    await waitUntilIdle();
  });

  it('sim-flaky-50 fails exactly every other call, starting with the first, counted per model', async () => {
    const outcomes: (number | 'ok')[] = [];
    for (let i = 0; i < 100; i++) {
      try {
        await openai.chat.completions.create({ model: 'sim-flaky-50', messages });
        outcomes.push('ok');
      } catch (err) {
        outcomes.push(err instanceof OpenAI.APIError ? (err.status ?? -1) : -1);
      }
    }
    expect(outcomes.filter((o) => o === 500)).toHaveLength(50);
    expect(outcomes.slice(0, 4)).toEqual([500, 'ok', 500, 'ok']);
    expect(sim.stats().byStatus).toEqual({ '200': 50, '500': 50 });
    expect(sim.stats().byModel).toEqual({ 'sim-flaky-50': 100 });
    // another model name has its own sequence, so its first call fails too
    const other = await rejectionOf(
      anthropic.messages.create({ model: 'sim-flaky-10', max_tokens: 5, messages }),
    );
    expect(other).toBeInstanceOf(Anthropic.InternalServerError);
  });

  it('sim-coin-50 answers the same input differently: echo, ok, echo, ok…, counted per model and restarted by reset', async () => {
    const answer = async (model: string): Promise<string> =>
      (await openai.chat.completions.create({ model, messages })).choices[0]?.message.content ?? '';
    const answers: string[] = [];
    for (let i = 0; i < 4; i++) answers.push(await answer('sim-coin-50'));
    expect(answers[0]).toBe(question);
    expect(answers[1]).toMatch(/^This is a simulated answer from sim-coin-50/);
    expect(answers.slice(2)).toEqual(answers.slice(0, 2));
    expect(sim.stats().byBehaviour).toEqual({ coin: 4 });
    // echo-based: the flipped answers are the ok text
    expect(await answer('sim-echo-coin-50')).toMatch(/^This is a simulated answer/);
    sim.reset();
    expect(await answer('sim-coin-50')).toBe(question);
  });
});

describe('server lifecycle', () => {
  it('close() resolves while requests hang and the client sees the connection go', async () => {
    const own = await createSimServer({ latencyMs: 5 });
    const client = new OpenAI({ apiKey: 'k', baseURL: `${own.url}/v1`, maxRetries: 0 });
    const ok = await client.chat.completions.create({ model: 'sim-ok', messages });
    expect(ok.choices[0]?.message.content).toContain('sim-ok');
    const hung = rejectionOf(
      client.chat.completions.create({ model: 'sim-timeout', messages }, { timeout: 60_000 }),
    );
    const slow = rejectionOf(
      client.chat.completions.create({ model: 'sim-slow-60000', messages }, { timeout: 60_000 }),
    );
    // both in flight, and once the 5 ms latency has passed only sim-slow's timer is left
    await expectEventually(() => expect(own.stats()).toMatchObject({ inFlight: 2, pendingTimers: 1 }), {
      intervalMs: 10,
    });
    await own.close();
    expect(await hung).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(await slow).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(own.stats()).toMatchObject({ inFlight: 0, openConnections: 0, pendingTimers: 0 });
  });
});
