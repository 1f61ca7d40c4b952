import OpenAI from 'openai';
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import { API_KEY, startGateway, type TestGateway } from './gateway-test-kit';

/**
 * The migration matrix: a user moving from OpenAI to Flywheel keeps their `openai` client and
 * their request fields. Every Chat Completions field is probed alone through the real client on
 * a direct call: it reaches the upstream (read back from the simulator, translated for the
 * Anthropic-kind model) or is refused with a 400 that names it. None is dropped in silence.
 */

let gw: TestGateway;
let openai: OpenAI;

beforeAll(async () => {
  gw = await startGateway();
  openai = new OpenAI({ apiKey: API_KEY, baseURL: `${gw.url}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await gw?.close();
});

type Body = Record<string, unknown>;
interface Probe {
  /** the field probed (what a refusal must name) */
  field: string;
  model?: string;
  params: Body;
  /** forwarded: what the upstream body must hold */
  upstream?: Body | ((body: Body) => void);
  /** refused: the 400's message names this path */
  refused?: string;
}

const tool = {
  type: 'function',
  function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } },
};
const parts = [
  { type: 'text', text: 'part one' },
  { type: 'text', text: 'part two' },
];
const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] };

const probes: Probe[] = [
  // forwarded to an OpenAI-kind model as sent
  { field: 'temperature', params: { temperature: 0.3 }, upstream: { temperature: 0.3 } },
  { field: 'max_tokens', params: { max_tokens: 50 }, upstream: { max_completion_tokens: 50 } },
  {
    field: 'max_completion_tokens',
    params: { max_completion_tokens: 60 },
    upstream: { max_completion_tokens: 60 },
  },
  { field: 'stop (list)', params: { stop: ['END', 'STOP'] }, upstream: { stop: ['END', 'STOP'] } },
  { field: 'stop (string)', params: { stop: 'END' }, upstream: { stop: ['END'] } },
  { field: 'top_p', params: { top_p: 0.5 }, upstream: { top_p: 0.5 } },
  { field: 'seed', params: { seed: 7 }, upstream: { seed: 7 } },
  { field: 'frequency_penalty', params: { frequency_penalty: 0.5 }, upstream: { frequency_penalty: 0.5 } },
  { field: 'presence_penalty', params: { presence_penalty: -0.5 }, upstream: { presence_penalty: -0.5 } },
  {
    field: 'logit_bias',
    params: { logit_bias: { '50256': -100 } },
    upstream: { logit_bias: { '50256': -100 } },
  },
  { field: 'logprobs', params: { logprobs: true }, upstream: { logprobs: true } },
  {
    field: 'top_logprobs',
    params: { logprobs: true, top_logprobs: 2 },
    upstream: { logprobs: true, top_logprobs: 2 },
  },
  { field: 'reasoning_effort', params: { reasoning_effort: 'low' }, upstream: { reasoning_effort: 'low' } },
  { field: 'service_tier', params: { service_tier: 'flex' }, upstream: { service_tier: 'flex' } },
  { field: 'user', params: { user: 'user-42' }, upstream: { user: 'user-42' } },
  { field: 'metadata', params: { metadata: { team: 'search' } }, upstream: { metadata: { team: 'search' } } },
  { field: 'verbosity', params: { verbosity: 'low' }, upstream: { verbosity: 'low' } },
  { field: 'prompt_cache_key', params: { prompt_cache_key: 'k1' }, upstream: { prompt_cache_key: 'k1' } },
  { field: 'safety_identifier', params: { safety_identifier: 'h1' }, upstream: { safety_identifier: 'h1' } },
  { field: 'tools', params: { tools: [tool] }, upstream: { tools: [tool] } },
  {
    field: 'tool_choice',
    params: { tools: [tool], tool_choice: { type: 'function', function: { name: 'lookup' } } },
    upstream: { tool_choice: { type: 'function', function: { name: 'lookup' } } },
  },
  {
    field: 'parallel_tool_calls',
    params: { tools: [tool], parallel_tool_calls: false },
    upstream: { parallel_tool_calls: false },
  },
  {
    field: 'response_format json_object',
    params: { response_format: { type: 'json_object' } },
    upstream: { response_format: { type: 'json_object' } },
  },
  {
    field: 'response_format json_schema',
    params: { response_format: { type: 'json_schema', json_schema: { name: 'a', schema } } },
    upstream: (body) =>
      expect(body.response_format).toMatchObject({ type: 'json_schema', json_schema: { schema } }),
  },
  {
    field: 'response_format text (the default)',
    params: { response_format: { type: 'text' } },
    upstream: (body) => expect(body.response_format).toBeUndefined(),
  },
  { field: 'n = 1', params: { n: 1 }, upstream: (body) => expect(body.n ?? 1).toBe(1) },
  {
    field: 'content parts',
    params: { messages: [{ role: 'user', content: parts }] },
    upstream: { messages: [{ role: 'user', content: parts }] },
  },
  {
    field: 'messages.name',
    params: { messages: [{ role: 'user', content: 'hi', name: 'ada' }] },
    upstream: { messages: [{ role: 'user', content: 'hi', name: 'ada' }] },
  },
  {
    field: 'developer message',
    params: {
      messages: [
        { role: 'developer', content: 'Be brief.' },
        { role: 'user', content: 'hi' },
      ],
    },
    upstream: {
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hi' },
      ],
    },
  },
  {
    field: 'store = false',
    params: { store: false },
    upstream: (body) => expect(body.store ?? false).toBe(false),
  },
  {
    field: "modalities ['text']",
    params: { modalities: ['text'] },
    upstream: (body) => expect(body.modalities ?? ['text']).toEqual(['text']),
  },
  // refused with a 400 naming the field
  { field: 'n = 2', params: { n: 2 }, refused: 'n' },
  { field: 'functions', params: { functions: [tool.function] }, refused: 'functions' },
  { field: 'function_call', params: { function_call: 'auto' }, refused: 'function_call' },
  { field: 'audio', params: { audio: { voice: 'alloy', format: 'mp3' } }, refused: 'audio' },
  { field: 'prediction', params: { prediction: { type: 'content', content: 'x' } }, refused: 'prediction' },
  { field: 'web_search_options', params: { web_search_options: {} }, refused: 'web_search_options' },
  { field: 'store = true', params: { store: true }, refused: 'store' },
  { field: "modalities ['audio']", params: { modalities: ['text', 'audio'] }, refused: 'modalities' },
  {
    field: 'prompt_cache_retention',
    params: { prompt_cache_retention: '24h' },
    refused: 'prompt_cache_retention',
  },
  {
    field: 'image content part',
    params: {
      messages: [
        { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x.test/a.png' } }] },
      ],
    },
    refused: 'messages.0.content',
  },
  { field: 'an unknown field', params: { frobnicate: true }, refused: 'frobnicate' },
  {
    field: 'tool_choice naming no tool',
    params: { tools: [tool], tool_choice: { type: 'function', function: { name: 'nope' } } },
    refused: 'tool_choice',
  },
  // an Anthropic-kind model: translated, or refused by name
  {
    field: 'stop → stop_sequences',
    model: 'claude-ok',
    params: { stop: ['END'] },
    upstream: { stop_sequences: ['END'] },
  },
  {
    field: 'user → metadata.user_id',
    model: 'claude-ok',
    params: { user: 'user-42' },
    upstream: { metadata: { user_id: 'user-42' } },
  },
  {
    field: 'reasoning_effort → output_config.effort',
    model: 'claude-ok',
    params: { reasoning_effort: 'high' },
    upstream: { output_config: { effort: 'high' } },
  },
  {
    field: 'service_tier → service_tier',
    model: 'claude-ok',
    params: { service_tier: 'default' },
    upstream: { service_tier: 'standard_only' },
  },
  {
    field: 'tools → tools',
    model: 'claude-ok',
    params: { tools: [tool], tool_choice: 'required' },
    upstream: {
      tools: [{ name: 'lookup', input_schema: tool.function.parameters }],
      tool_choice: { type: 'any' },
    },
  },
  { field: 'seed (anthropic)', model: 'claude-ok', params: { seed: 7 }, refused: 'seed' },
  { field: 'top_p (anthropic)', model: 'claude-ok', params: { top_p: 0.5 }, refused: 'top_p' },
  {
    field: 'temperature (anthropic)',
    model: 'claude-ok',
    params: { temperature: 0.3 },
    refused: 'temperature',
  },
  { field: 'logprobs (anthropic)', model: 'claude-ok', params: { logprobs: true }, refused: 'logprobs' },
  {
    field: 'logit_bias (anthropic)',
    model: 'claude-ok',
    params: { logit_bias: { '1': 1 } },
    refused: 'logit_bias',
  },
  {
    field: 'frequency_penalty (anthropic)',
    model: 'claude-ok',
    params: { frequency_penalty: 1 },
    refused: 'frequency_penalty',
  },
  {
    field: 'metadata (anthropic)',
    model: 'claude-ok',
    params: { metadata: { a: 'b' } },
    refused: 'metadata',
  },
  {
    field: 'reasoning_effort minimal (anthropic)',
    model: 'claude-ok',
    params: { reasoning_effort: 'minimal' },
    refused: 'reasoning_effort',
  },
  {
    field: 'json_object (anthropic)',
    model: 'claude-ok',
    params: { response_format: { type: 'json_object' } },
    refused: 'json_object',
  },
];

it('has at least 37 probes, each a different field or value', () => {
  expect(probes.length).toBeGreaterThanOrEqual(37);
  expect(new Set(probes.map((p) => p.field)).size).toBe(probes.length);
});

describe.each(probes.map((p) => [p.field, p] as const))('%s', (_field, probe) => {
  const request = (): ChatCompletionCreateParamsNonStreaming =>
    ({
      model: probe.model ?? 'ok',
      messages: [{ role: 'user', content: 'Probe.' }],
      ...probe.params,
    }) as unknown as ChatCompletionCreateParamsNonStreaming;

  if (probe.refused !== undefined) {
    it(`is refused with a 400 naming ${probe.refused}, and nothing reaches the upstream`, async () => {
      gw.sim.reset();
      const err = await openai.chat.completions.create(request()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.APIError);
      expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
      expect((err as Error).message).toContain(probe.refused);
      expect(gw.sim.received()).toHaveLength(0);
    });
    return;
  }
  it('is forwarded: the upstream receives it', async () => {
    gw.sim.reset();
    const answer = await openai.chat.completions.create(request());
    expect(answer.object).toBe('chat.completion');
    const upstream = gw.sim.received();
    expect(upstream).toHaveLength(1);
    const body = upstream[0]?.body as Body;
    if (typeof probe.upstream === 'function') probe.upstream(body);
    else expect(body).toMatchObject(probe.upstream as Body);
  });
});

it('streams with the fields too (stream_options.include_usage gives a usage chunk)', async () => {
  gw.sim.reset();
  const stream = await openai.chat.completions.create({
    model: 'ok',
    messages: [{ role: 'user', content: 'Probe.' }],
    stream: true,
    stream_options: { include_usage: true },
    stop: ['END'],
    seed: 3,
  });
  let usage: unknown;
  for await (const chunk of stream) usage ??= chunk.usage ?? undefined;
  expect(usage).toMatchObject({ total_tokens: expect.any(Number) });
  expect(gw.sim.received()[0]?.body).toMatchObject({ stream: true, stop: ['END'], seed: 3 });
});
