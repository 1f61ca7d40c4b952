import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import type {
  ChatCompletionChunk,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';
import { API_KEY, startGateway, type TestGateway, watchInteractions } from './gateway-test-kit';

/**
 * Tools and JSON mode end to end through the real `openai` client: a two-leg function-calling
 * round trip (whole and streamed) against OpenAI- and Anthropic-kind models, a route that falls
 * back from an OpenAI model to an Anthropic one in the middle of a tool conversation, and
 * `response_format` on direct calls and routes (`chat.completions.parse()` on a route). What
 * the upstream received is read back from the simulator; what was recorded, from Kafka.
 */

let gw: TestGateway;
let kafka: Awaited<ReturnType<typeof watchInteractions>>;
let openai: OpenAI;

beforeAll(async () => {
  [gw, kafka] = await Promise.all([startGateway(), watchInteractions()]);
  openai = new OpenAI({ apiKey: API_KEY, baseURL: `${gw.url}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await kafka?.close();
  await gw?.close();
});

beforeEach(() => gw.sim.reset());

const weather: ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'The weather in a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } },
      required: ['city', 'unit'],
    },
  },
};
const clock: ChatCompletionTool = {
  type: 'function',
  function: { name: 'get_time', parameters: { type: 'object', properties: {} } },
};
const question = 'What is the weather in Lyon?';
const toolResult = '{"temperature": 21, "sky": "clear"}';

type Received = { path: string; body: Record<string, unknown> };
function received(): Received[] {
  return gw.sim.received() as Received[];
}

/** Reads a streamed answer the way a client would: text, and tool calls joined by index. */
async function collect(stream: AsyncIterable<ChatCompletionChunk>) {
  let text = '';
  let finish: string | null | undefined;
  let flywheel: { interaction_id: string } | undefined;
  const calls: { id: string; name: string; arguments: string }[] = [];
  for await (const chunk of stream) {
    flywheel ??= (chunk as unknown as { flywheel?: { interaction_id: string } }).flywheel;
    const choice = chunk.choices[0];
    if (!choice) continue;
    text += choice.delta.content ?? '';
    for (const d of choice.delta.tool_calls ?? []) {
      const call = (calls[d.index] ??= { id: '', name: '', arguments: '' });
      if (d.id) call.id = d.id;
      if (d.function?.name) call.name += d.function.name;
      call.arguments += d.function?.arguments ?? '';
    }
    finish = choice.finish_reason ?? finish;
  }
  return { text, finish, calls, flywheel };
}

function secondLeg(call: { id: string; name: string; arguments: string }): ChatCompletionMessageParam[] {
  return [
    { role: 'user', content: question },
    {
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } },
      ],
    },
    { role: 'tool', tool_call_id: call.id, content: toolResult },
  ];
}

describe.each([
  ['OpenAI', 'tool', '/v1/chat/completions'],
  ['Anthropic', 'claude-tool', '/v1/messages'],
])('a two-leg tool round trip on an %s model', (_kind, model, path) => {
  it('answers with a tool call, then with the tool result; forwards and records both legs', async () => {
    const first = await openai.chat.completions.create({
      model,
      messages: [{ role: 'user', content: question }],
      tools: [weather, clock],
      tool_choice: 'auto',
      parallel_tool_calls: false,
    });
    const choice = first.choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    const call = choice?.message.tool_calls?.[0];
    expect(call?.type).toBe('function');
    if (call?.type !== 'function') throw new Error('expected a function call');
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toMatchObject({ city: question });
    expect(call.id).not.toBe('');

    const upstream = received();
    expect(upstream).toHaveLength(1);
    expect(upstream[0]?.path).toBe(path);
    const names = (upstream[0]?.body.tools as { name?: string; function?: { name: string } }[]).map(
      (t) => t.function?.name ?? t.name,
    );
    expect(names).toEqual(['get_weather', 'get_time']);
    if (path === '/v1/messages') {
      expect(upstream[0]?.body.tool_choice).toEqual({ type: 'auto', disable_parallel_tool_use: true });
    } else {
      expect(upstream[0]?.body).toMatchObject({ tool_choice: 'auto', parallel_tool_calls: false });
    }

    const second = await openai.chat.completions.create({
      model,
      messages: secondLeg({ id: call.id, name: call.function.name, arguments: call.function.arguments }),
      tools: [weather, clock],
    });
    expect(second.choices[0]?.finish_reason).toBe('stop');
    expect(second.choices[0]?.message.content).toBe(`The tool answered: ${toolResult}`);

    const leg2 = received()[1]?.body.messages as Record<string, unknown>[];
    if (path === '/v1/messages') {
      expect(leg2[1]).toEqual({
        role: 'assistant',
        content: [
          { type: 'tool_use', id: call.id, name: 'get_weather', input: JSON.parse(call.function.arguments) },
        ],
      });
      expect(leg2[2]).toEqual({
        role: 'user',
        content: [{ type: 'tool_result', tool_use_id: call.id, content: toolResult }],
      });
    } else {
      expect(leg2[1]).toMatchObject({ role: 'assistant', tool_calls: [{ id: call.id, type: 'function' }] });
      expect(leg2[2]).toEqual({ role: 'tool', tool_call_id: call.id, content: toolResult });
    }

    const id1 = (first as unknown as { flywheel: { interaction_id: string } }).flywheel.interaction_id;
    const event1 = await kafka.event(id1);
    expect(event1.request.tools?.map((t) => t.name)).toEqual(['get_weather', 'get_time']);
    expect(event1.request.tool_choice).toBe('auto');
    expect(event1.output_tool_calls).toEqual([
      { id: call.id, name: 'get_weather', arguments: call.function.arguments },
    ]);
    const id2 = (second as unknown as { flywheel: { interaction_id: string } }).flywheel.interaction_id;
    const event2 = await kafka.event(id2);
    expect(event2.request.messages[1]?.tool_calls?.[0]?.id).toBe(call.id);
    expect(event2.request.messages[2]).toMatchObject({
      role: 'tool',
      tool_call_id: call.id,
      content: toolResult,
    });
    expect(event2.output).toBe(`The tool answered: ${toolResult}`);
  });

  it('streams the tool call as deltas, then streams the answer to the tool result', async () => {
    const first = await collect(
      await openai.chat.completions.create({
        model,
        messages: [{ role: 'user', content: question }],
        tools: [weather],
        stream: true,
      }),
    );
    expect(first.finish).toBe('tool_calls');
    expect(first.text).toBe('');
    expect(first.calls).toHaveLength(1);
    const [call] = first.calls;
    if (!call) throw new Error('no call');
    expect(call.name).toBe('get_weather');
    expect(JSON.parse(call.arguments)).toMatchObject({ city: question });
    const event = await kafka.event(first.flywheel?.interaction_id as string);
    expect(event.request.stream).toBe(true);
    expect(event.output_tool_calls).toEqual([call]);

    const second = await collect(
      await openai.chat.completions.create({
        model,
        messages: secondLeg(call),
        tools: [weather],
        stream: true,
      }),
    );
    expect(second).toMatchObject({ finish: 'stop', text: `The tool answered: ${toolResult}`, calls: [] });
  });
});

it('falls back from an OpenAI model to an Anthropic one in the middle of a tool conversation', async () => {
  // the first leg on an OpenAI model: its call id is OpenAI's
  const first = await openai.chat.completions.create({
    model: 'tool',
    messages: [{ role: 'user', content: question }],
    tools: [weather],
  });
  const call = first.choices[0]?.message.tool_calls?.[0];
  if (call?.type !== 'function') throw new Error('expected a function call');
  expect(call.id).toMatch(/^call_/);
  // the second leg on a route whose OpenAI model is down: the Anthropic model gets the conversation
  const { data, response } = await openai.chat.completions
    .create({
      model: 'route:tools-fallback',
      messages: secondLeg({ id: call.id, ...call.function }),
      tools: [weather],
    })
    .withResponse();
  expect(response.headers.get('x-flywheel-model')).toBe('claude-tool');
  expect(data.choices[0]?.message.content).toBe(`The tool answered: ${toolResult}`);
  const anthropicLeg = received().find((r) => r.path === '/v1/messages');
  expect(anthropicLeg?.body.messages).toEqual([
    { role: 'user', content: question },
    {
      role: 'assistant',
      content: [
        { type: 'tool_use', id: call.id, name: 'get_weather', input: JSON.parse(call.function.arguments) },
      ],
    },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: toolResult }] },
  ]);
  const event = await kafka.event(response.headers.get('x-flywheel-interaction-id') as string);
  expect(event.attempts.map((a) => `${a.model}:${a.status}`)).toEqual([
    'down:error',
    'down:error',
    'down:error',
    'claude-tool:ok',
  ]);
});

describe('response_format', () => {
  const ticket = JSON.parse(readFileSync(join(__dirname, 'fixtures/schemas/ticket.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const format = {
    type: 'json_schema' as const,
    json_schema: { name: 'ticket', schema: ticket, strict: true },
  };
  const messages = [{ role: 'user' as const, content: 'My invoice is wrong' }];

  it('parse() works against a route whose output_schema is the one sent', async () => {
    const parsed = await openai.chat.completions.parse({
      model: 'route:triage',
      messages,
      response_format: format,
    });
    const value = parsed.choices[0]?.message.parsed as unknown as Record<string, unknown>;
    expect(Object.keys(value).sort()).toEqual(['category', 'priority', 'summary']);
    expect(['billing', 'bug', 'account', 'other']).toContain(value.category);
  });

  it('refuses a schema that is not the route’s own, naming the field', async () => {
    const other = { ...format, json_schema: { name: 'x', schema: { type: 'object', properties: {} } } };
    const err = await openai.chat.completions
      .create({ model: 'route:triage', messages, response_format: other })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).message).toMatch(
      /response_format\.json_schema\.schema: does not match the output_schema of route triage/,
    );
    const noSchema = await openai.chat.completions
      .create({ model: 'route:chat', messages, response_format: format })
      .catch((e: unknown) => e);
    expect((noSchema as { status?: number }).status).toBe(400);
    expect((noSchema as Error).message).toMatch(
      /response_format\.json_schema: route chat has no output_schema/,
    );
  });

  it('on a direct call is the output schema: sent upstream, repaired when almost JSON, validated', async () => {
    const answer = await openai.chat.completions.create({
      model: 'sloppy',
      messages,
      response_format: format,
    });
    const text = answer.choices[0]?.message.content as string;
    expect(Object.keys(JSON.parse(text) as object).sort()).toEqual(['category', 'priority', 'summary']);
    const upstream = received()[0]?.body as {
      response_format?: { type: string; json_schema?: { schema: unknown } };
    };
    expect(upstream.response_format?.type).toBe('json_schema');
    expect(upstream.response_format?.json_schema?.schema).toEqual(ticket);
    const event = await kafka.event(
      (answer as unknown as { flywheel: { interaction_id: string } }).flywheel.interaction_id,
    );
    expect(event.validation).toMatchObject({ schema: true, valid: true, repaired: true });
    expect(event.output_json).toEqual(JSON.parse(text));
  });

  it('refuses a direct call whose schema is not a JSON Schema, naming the field, before any call', async () => {
    const bad = {
      type: 'json_schema' as const,
      json_schema: { name: 'bad', schema: { type: 'no-such-type' } },
    };
    const err = await openai.chat.completions
      .create({ model: 'ok', messages, response_format: bad })
      .catch((e: unknown) => e);
    expect((err as { status?: number }).status).toBe(400);
    expect((err as Error).message).toContain('response_format.json_schema.schema');
    expect(received()).toHaveLength(0);
  });

  it('json_object on a direct call asks the upstream for JSON', async () => {
    const answer = await openai.chat.completions.create({
      model: 'ok',
      messages,
      response_format: { type: 'json_object' },
    });
    expect(JSON.parse(answer.choices[0]?.message.content as string)).toHaveProperty('answer');
    expect(received()[0]?.body.response_format).toEqual({ type: 'json_object' });
  });
});
