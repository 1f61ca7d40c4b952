import Anthropic from '@anthropic-ai/sdk';
import type { MessageParam, RawMessageStreamEvent, Tool } from '@anthropic-ai/sdk/resources/messages';
import { MessagesErrorBody, MessagesResponse } from '@flywheel/contracts';
import { subjectHash, verifyFeedbackToken } from '@flywheel/platform';
import { ADMIN_TOKEN, API_KEY, gatewaySuite, post, SECRET } from './gateway-test-kit';

/**
 * `POST /v1/messages` through the real `@anthropic-ai/sdk` pointed at the gateway: whole and
 * streamed answers from Anthropic- and OpenAI-kind models, a tool-use round trip, a rollout
 * variant by `metadata.user_id`, fallbacks, feedback tokens in the headers, events on Kafka,
 * and errors in Anthropic's shape. What the upstream received is read back from the simulator.
 */

const t = gatewaySuite();
let anthropic: Anthropic;

beforeAll(() => {
  anthropic = new Anthropic({ apiKey: API_KEY, baseURL: t.gw.url, maxRetries: 0 });
});
beforeEach(() => t.gw.sim.reset());

const question = 'What is the weather in Lyon?';
const toolResult = '{"temperature": 21, "sky": "clear"}';
const weather: Tool = {
  name: 'get_weather',
  description: 'The weather in a city',
  input_schema: {
    type: 'object',
    properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } },
    required: ['city', 'unit'],
  },
};
const clock: Tool = { name: 'get_time', input_schema: { type: 'object', properties: {} } };

type Received = { path: string; body: Record<string, unknown> };
const received = () => t.gw.sim.received() as Received[];

function textOf(message: { content: Anthropic.ContentBlock[] }): string {
  return message.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
}

/** The flywheel headers of an answer, checked against its token; returns the interaction id and variant. */
function checkHeaders(headers: Headers, route: string | null, user: string) {
  const id = headers.get('x-flywheel-interaction-id') as string;
  const token = headers.get('x-flywheel-feedback-token') as string;
  const variant = headers.get('x-flywheel-variant') as string;
  expect(id).toMatch(/^[0-9a-f-]{36}$/);
  expect(verifyFeedbackToken(token, SECRET, Date.now())).toEqual({
    ok: true,
    payload: {
      v: 1,
      interaction_id: id,
      route,
      variant,
      sub: subjectHash(user, SECRET),
      exp: expect.any(Number),
    },
  });
  return { id, variant, model: headers.get('x-flywheel-model') as string };
}

describe('a whole answer', () => {
  it.each([
    ['an Anthropic-kind', 'claude-ok', '/v1/messages'],
    ['an OpenAI-kind', 'ok', '/v1/chat/completions'],
  ])('from %s model: Message shape, headers, forwarded fields, an event', async (_kind, model, path) => {
    const { data, response } = await anthropic.messages
      .create({
        model,
        max_tokens: 300,
        system: 'Answer briefly.',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'part one' },
              { type: 'text', text: 'part two' },
            ],
          },
          { role: 'assistant', content: 'noted' },
          { role: 'user', content: 'How was the movie?' },
        ],
        stop_sequences: ['\n\nEND'],
        metadata: { user_id: 'user-msg-1' },
      })
      .withResponse();
    expect(MessagesResponse.safeParse(data).error).toBeUndefined();
    expect(data).toMatchObject({ type: 'message', role: 'assistant', model, stop_reason: 'end_turn' });
    expect(textOf(data)).toMatch(/^This is a simulated answer from sim-ok to "How was the movie\?"/);
    expect(data.usage.input_tokens).toBeGreaterThan(0);
    expect(data.usage.output_tokens).toBeGreaterThan(0);
    const { id } = checkHeaders(response.headers, null, 'user-msg-1');
    expect(data.id).toBe(`msg_${id}`);
    expect(response.headers.get('x-flywheel-model')).toBe(model);

    const [upstream] = received();
    expect(upstream?.path).toBe(path);
    if (path === '/v1/messages') {
      expect(upstream?.body).toMatchObject({
        system: 'Answer briefly.',
        max_tokens: 300,
        stop_sequences: ['\n\nEND'],
        metadata: { user_id: 'user-msg-1' },
      });
      expect((upstream?.body.messages as unknown[])[0]).toEqual({
        role: 'user',
        content: [
          { type: 'text', text: 'part one' },
          { type: 'text', text: 'part two' },
        ],
      });
    } else {
      expect(upstream?.body).toMatchObject({
        stop: ['\n\nEND'],
        user: 'user-msg-1',
        max_completion_tokens: 300,
      });
      expect((upstream?.body.messages as unknown[])[0]).toEqual({
        role: 'system',
        content: 'Answer briefly.',
      });
    }

    const event = await t.kafka.event(id);
    expect(event).toMatchObject({ route: null, final_model: model, status: 'ok', output: textOf(data) });
    expect(event.request.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(event.subject_hash).toBe(subjectHash('user-msg-1', SECRET));
  });

  it('forwards temperature and top_p to an OpenAI-kind model; refuses top_p for an Anthropic one by name', async () => {
    await anthropic.messages.create({
      model: 'ok',
      max_tokens: 50,
      temperature: 0.3,
      top_p: 0.9,
      messages: [{ role: 'user', content: 'hi' }],
    } as Anthropic.MessageCreateParamsNonStreaming); // SDK 1.x types no longer list sampling fields
    expect(received()[0]?.body).toMatchObject({ temperature: 0.3, top_p: 0.9 });

    const err = (await anthropic.messages
      .create({
        model: 'claude-ok',
        max_tokens: 50,
        top_p: 0.9,
        messages: [{ role: 'user', content: 'hi' }],
      } as Anthropic.MessageCreateParamsNonStreaming)
      .catch((e: unknown) => e)) as InstanceType<typeof Anthropic.BadRequestError>;
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect(err.error).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', param: 'top_p', message: expect.stringContaining('top_p') },
    });
    expect(received()).toHaveLength(1); // refused before any call
  });
});

describe('a streamed answer', () => {
  it.each(['claude-ok', 'ok'])(
    'from %s: message_start … message_stop, the same text as a whole answer',
    async (model) => {
      const messages: MessageParam[] = [{ role: 'user', content: 'Tell me about streams.' }];
      const whole = await anthropic.messages.create({ model, max_tokens: 300, messages });
      const { data: stream, response } = await anthropic.messages
        .create({ model, max_tokens: 300, messages, stream: true, metadata: { user_id: 'user-msg-2' } })
        .withResponse();
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const { id } = checkHeaders(response.headers, null, 'user-msg-2');
      const events: RawMessageStreamEvent[] = [];
      for await (const event of stream) events.push(event);

      const types = events.map((e) => e.type);
      expect(types[0]).toBe('message_start');
      expect(types.slice(1, 2)).toEqual(['content_block_start']);
      expect(types.slice(-4)).toEqual([
        'content_block_delta',
        'content_block_stop',
        'message_delta',
        'message_stop',
      ]);
      expect(new Set(types.slice(2, -3))).toEqual(new Set(['content_block_delta']));
      expect(types.filter((e) => e === 'content_block_delta').length).toBeGreaterThan(1);
      const start = events[0] as Anthropic.RawMessageStartEvent;
      expect(start.message).toMatchObject({
        id: `msg_${id}`,
        model,
        flywheel: { interaction_id: id, model },
      });
      const text = events
        .map((e) => (e.type === 'content_block_delta' && e.delta.type === 'text_delta' ? e.delta.text : ''))
        .join('');
      expect(text).toBe(textOf(whole));
      const delta = events.at(-2) as Anthropic.RawMessageDeltaEvent;
      expect(delta.delta.stop_reason).toBe('end_turn');
      expect(delta.usage.output_tokens).toBe(whole.usage.output_tokens);

      const event = await t.kafka.event(id);
      expect(event).toMatchObject({ status: 'ok', output: text, request: { stream: true } });
    },
  );

  it('gives the SDK’s stream helper the final message', async () => {
    const stream = anthropic.messages.stream({
      model: 'claude-ok',
      max_tokens: 300,
      messages: [{ role: 'user', content: 'And with the helper?' }],
    });
    const final = await stream.finalMessage();
    expect(final.stop_reason).toBe('end_turn');
    expect(textOf(final)).toMatch(/^This is a simulated answer from sim-ok to "And with the helper\?"/);
  });
});

describe.each([
  ['an Anthropic-kind', 'claude-tool'],
  ['an OpenAI-kind', 'tool'],
])('a tool use round trip on %s model', (_kind, model) => {
  const secondLeg = (call: Anthropic.ToolUseBlock): MessageParam[] => [
    { role: 'user', content: question },
    { role: 'assistant', content: [call] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: toolResult }] },
  ];

  it('answers tool_use, then the tool_result; records both legs', async () => {
    const first = await anthropic.messages.create({
      model,
      max_tokens: 300,
      messages: [{ role: 'user', content: question }],
      tools: [weather, clock],
      tool_choice: { type: 'auto', disable_parallel_tool_use: true },
    });
    expect(first.stop_reason).toBe('tool_use');
    const call = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
    expect(call).toMatchObject({ name: 'get_weather', input: { city: question } });
    expect(call?.id).not.toBe('');
    if (!call) throw new Error('expected a tool_use block');

    const { data: second, response } = await anthropic.messages
      .create({ model, max_tokens: 300, messages: secondLeg(call), tools: [weather, clock] })
      .withResponse();
    expect(second.stop_reason).toBe('end_turn');
    expect(textOf(second)).toBe(`The tool answered: ${toolResult}`);

    const leg2 = received()[1]?.body.messages as Record<string, unknown>[];
    expect(JSON.stringify(leg2)).toContain(call.id);
    const event = await t.kafka.event(response.headers.get('x-flywheel-interaction-id') as string);
    expect(event.request.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
    expect(event.request.messages[1]?.tool_calls?.[0]).toMatchObject({ id: call.id, name: 'get_weather' });
    expect(event.request.messages[2]).toMatchObject({ tool_call_id: call.id, content: toolResult });
    expect(event.request.tools?.map((x) => x.name)).toEqual(['get_weather', 'get_time']);
  });

  it('streams the tool_use block as input_json_delta pieces the SDK joins', async () => {
    const stream = anthropic.messages.stream({
      model,
      max_tokens: 300,
      messages: [{ role: 'user', content: question }],
      tools: [weather],
      tool_choice: { type: 'tool', name: 'get_weather' },
    });
    const types: string[] = [];
    stream.on('streamEvent', (e) => types.push(e.type));
    const final = await stream.finalMessage();
    expect(final.stop_reason).toBe('tool_use');
    const call = final.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
    // a forced call: the simulator fills in an instance of the tool's schema
    expect(call).toMatchObject({
      type: 'tool_use',
      name: 'get_weather',
      input: { city: expect.any(String) },
    });
    expect(['c', 'f']).toContain((call?.input as { unit?: string }).unit);
    expect(types[0]).toBe('message_start');
    expect(types.at(-1)).toBe('message_stop');
    expect(types).toContain('content_block_stop');
  });
});

describe('routes', () => {
  it('puts users on the rollout’s variants by metadata.user_id, sticky, with their tokens', async () => {
    const seen = new Map<string, string>();
    for (let i = 0; i < 60 && !new Set(seen.values()).has('candidate'); i++) {
      const user = `msg-rollout-${i}`;
      const { data, response } = await anthropic.messages
        .create({
          model: 'route:chat',
          max_tokens: 100,
          messages: [{ role: 'user', content: 'Which variant?' }],
          metadata: { user_id: user },
        })
        .withResponse();
      const { variant, model } = checkHeaders(response.headers, 'chat', user);
      expect(model).toBe(variant === 'candidate' ? 'claude-ok' : 'ok');
      expect(data.model).toBe(model);
      seen.set(user, variant);
    }
    const candidate = [...seen].find(([, v]) => v === 'candidate')?.[0];
    expect(candidate).toBeDefined();
    const again = await anthropic.messages
      .create({
        model: 'route:chat',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'Still the same?' }],
        metadata: { user_id: candidate as string },
      })
      .withResponse();
    expect(again.response.headers.get('x-flywheel-variant')).toBe('candidate');
    const sent = received().at(-1);
    expect(sent?.path).toBe('/v1/messages');
    expect(sent?.body.system).toBe('You are the candidate assistant.');
  });

  it('falls back along the chain', async () => {
    const { data, response } = await anthropic.messages
      .create({
        model: 'route:fallback-500',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'hello' }],
      })
      .withResponse();
    expect(response.headers.get('x-flywheel-model')).toBe('ok');
    expect(data.model).toBe('ok');
    const event = await t.kafka.event(response.headers.get('x-flywheel-interaction-id') as string);
    const models = event.attempts.map((a) => a.model);
    expect(models[0]).toBe('down');
    expect(models.at(-1)).toBe('ok');
  });

  it('lets the admin token force a variant (Authorization: Bearer works too)', async () => {
    const admin = new Anthropic({ authToken: ADMIN_TOKEN, apiKey: null, baseURL: t.gw.url, maxRetries: 0 });
    const { response } = await admin.messages
      .create(
        { model: 'route:chat', max_tokens: 100, messages: [{ role: 'user', content: 'forced' }] },
        { headers: { 'x-flywheel-variant': 'candidate' } },
      )
      .withResponse();
    expect(response.headers.get('x-flywheel-variant')).toBe('candidate');
  });
});

describe('errors in Anthropic’s shape', () => {
  const base = { max_tokens: 10, messages: [{ role: 'user' as const, content: 'hi' }] };

  it('401 for an unknown x-api-key, before the body is read', async () => {
    const other = new Anthropic({ apiKey: 'not-a-key', baseURL: t.gw.url, maxRetries: 0 });
    const err = await other.messages.create({ model: 'ok', ...base }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((err as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
      type: 'error',
      error: { type: 'authentication_error', code: 'unauthorized' },
    });
  });

  it('404 for an unknown route or model', async () => {
    const err = await anthropic.messages.create({ model: 'route:nope', ...base }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.NotFoundError);
    expect((err as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
      type: 'error',
      error: { type: 'not_found_error', code: 'unknown_route', message: expect.stringContaining('nope') },
    });
  });

  it.each([
    ['an unknown field', { model: 'ok', ...base, frobnicate: 1 }, 'frobnicate'],
    ['top_k', { model: 'claude-ok', ...base, top_k: 5 }, 'top_k'],
    [
      'thinking',
      { model: 'claude-ok', ...base, thinking: { type: 'enabled', budget_tokens: 1024 } },
      'thinking',
    ],
    ['a missing max_tokens', { model: 'ok', messages: base.messages }, 'max_tokens'],
    [
      'an image block',
      { model: 'ok', max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'image', source: {} }] }] },
      'messages.0.content',
    ],
    [
      'a tool_result in an assistant turn',
      {
        model: 'ok',
        max_tokens: 10,
        messages: [{ role: 'assistant', content: [{ type: 'tool_result', tool_use_id: 'x', content: 'y' }] }],
      },
      'messages.0.content.0',
    ],
    ['tool_choice without tools', { model: 'ok', ...base, tool_choice: { type: 'any' } }, 'tool_choice'],
  ])('400 naming the field for %s', async (_what, body, field) => {
    const res = await post(`${t.gw.url}/v1/messages`, body);
    expect(res.status).toBe(400);
    const json = MessagesErrorBody.parse(await res.json());
    expect(json.error.type).toBe('invalid_request_error');
    expect(`${json.error.param ?? ''} ${json.error.message}`).toContain(field);
    expect(received()).toHaveLength(0);
  });

  it('400 for a body that is not JSON; 413 over the limit', async () => {
    const bad = await post(`${t.gw.url}/v1/messages`, '{"model":');
    expect(bad.status).toBe(400);
    expect(MessagesErrorBody.parse(await bad.json()).error).toMatchObject({ type: 'invalid_request_error' });
    const big = await post(`${t.gw.url}/v1/messages`, {
      model: 'ok',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'x'.repeat(1024 * 1024) }],
    });
    expect(big.status).toBe(413);
    expect(MessagesErrorBody.parse(await big.json()).error.type).toBe('request_too_large');
  });

  it('a failing chain: an api_error with an error_id, streamed or not', async () => {
    const err = await anthropic.messages.create({ model: 'down', ...base }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.InternalServerError);
    expect((err as InstanceType<typeof Anthropic.APIError>).status).toBe(502);
    expect((err as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
      type: 'error',
      error: { type: 'api_error', code: 'upstream_unavailable', error_id: expect.any(String) },
    });
    const streamed = await anthropic.messages
      .create({ model: 'down', ...base, stream: true })
      .catch((e: unknown) => e);
    expect((streamed as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
      type: 'error',
      error: { type: 'api_error', code: 'upstream_unavailable' },
    });
  });

  it('a stream cut after its first token ends with an error event, no message_stop', async () => {
    const res = await post(`${t.gw.url}/v1/messages`, { model: 'cut', ...base, stream: true });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('event: message_start');
    expect(text).not.toContain('event: message_stop');
    const last = text.trim().split('\n\n').at(-1) as string;
    expect(last.split('\n')[0]).toBe('event: error');
    expect(JSON.parse(last.split('\n')[1]?.slice('data: '.length) ?? '')).toMatchObject({
      type: 'error',
      error: { type: 'api_error', code: 'truncated' },
    });
  });
});
