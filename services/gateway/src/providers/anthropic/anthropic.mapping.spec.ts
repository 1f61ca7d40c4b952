import type { Message, RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import type { LlmRequest } from '../../llm/llm.types';
import {
  anthropicRefusal,
  DEFAULT_MAX_TOKENS,
  fromMessage,
  fromUsage,
  newStreamState,
  readStreamEvent,
  toMessageParams,
  toMessageStreamParams,
} from './anthropic.mapping';

const schema = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] };
const structured: LlmRequest = { model: 'claude', messages: [], output_schema: { name: 'answer', schema } };

describe('Anthropic request mapping', () => {
  it('moves the system prompt and system/developer messages to `system`, maps roles, defaults max_tokens', () => {
    const params = toMessageParams({
      model: 'claude',
      system: 'Be brief.',
      messages: [
        { role: 'system', content: 'Client rule.' },
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello' },
        { role: 'developer', content: 'Dev rule.' },
        { role: 'tool', content: 'result' },
      ],
    });
    expect(params).toEqual({
      model: 'claude',
      max_tokens: DEFAULT_MAX_TOKENS,
      system: 'Be brief.\n\nClient rule.\n\nDev rule.',
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello' },
        { role: 'user', content: 'result' },
      ],
    });
  });

  it('sends max_tokens, and no temperature (the API version no longer takes it)', () => {
    const params = toMessageParams({ model: 'claude', messages: [], max_tokens: 32, temperature: 0.3 });
    expect(params).toEqual({ model: 'claude', max_tokens: 32, messages: [] });
  });

  it('asks for structured output as one forced tool whose input schema is the output schema', () => {
    const params = toMessageParams(structured);
    expect(params.tools).toEqual([{ name: 'answer', description: expect.any(String), input_schema: schema }]);
    expect(params.tool_choice).toEqual({ type: 'tool', name: 'answer', disable_parallel_tool_use: true });
  });

  it('streams the same request', () => {
    expect(toMessageStreamParams({ model: 'claude', messages: [] })).toEqual({
      model: 'claude',
      max_tokens: DEFAULT_MAX_TOKENS,
      messages: [],
      stream: true,
    });
  });
});

describe('Anthropic response mapping', () => {
  const usage = {
    input_tokens: 10,
    output_tokens: 5,
    cache_creation_input_tokens: 2,
    cache_read_input_tokens: 3,
  };
  const message = (content: unknown[], stop_reason: string) =>
    ({
      id: 'msg',
      type: 'message',
      role: 'assistant',
      model: 'claude',
      content,
      stop_reason,
      usage,
    }) as unknown as Message;

  it('joins text blocks; input usage counts cache writes and reads', () => {
    const res = fromMessage(
      message(
        [
          { type: 'text', text: 'Hello ' },
          { type: 'text', text: 'there' },
        ],
        'end_turn',
      ),
      { model: 'claude', messages: [] },
    );
    expect(res).toEqual({
      text: 'Hello there',
      usage: { input_tokens: 15, output_tokens: 5, total_tokens: 20 },
      finish_reason: 'stop',
    });
  });

  it('answers structured output with the forced tool input, parsed, as a normal stop', () => {
    const input = { a: 'x' };
    const res = fromMessage(
      message([{ type: 'tool_use', id: 't', name: 'answer', input }], 'tool_use'),
      structured,
    );
    expect(res).toMatchObject({ text: '{"a":"x"}', json: input, finish_reason: 'stop' });
  });

  it('leaves a malformed (string) tool input to the repair step', () => {
    const res = fromMessage(
      message([{ type: 'tool_use', id: 't', name: 'answer', input: '{"a":"x",' }], 'tool_use'),
      structured,
    );
    expect(res.text).toBe('{"a":"x",');
    expect(res).not.toHaveProperty('json');
  });

  it('maps stop reasons', () => {
    const req = { model: 'claude', messages: [] };
    expect(fromMessage(message([], 'max_tokens'), req).finish_reason).toBe('length');
    expect(fromMessage(message([], 'refusal'), req).finish_reason).toBe('content_filter');
    expect(fromMessage(message([], 'tool_use'), req).finish_reason).toBe('tool_call');
  });

  it('reads a stream: text and tool-input deltas, usage from message_start and message_delta, the stop', () => {
    const events = [
      { type: 'message_start', message: { usage: { input_tokens: 9, output_tokens: 1 } } },
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hel' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"a"' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '' } },
      { type: 'content_block_stop', index: 0 },
      {
        type: 'message_delta',
        delta: { stop_reason: 'end_turn' },
        usage: { output_tokens: 7, input_tokens: null },
      },
      { type: 'message_stop' },
    ] as unknown as RawMessageStreamEvent[];
    const state = newStreamState();
    const texts = events
      .map((e) => readStreamEvent(e, state))
      .map((d) => (d?.type === 'delta' ? d.text : undefined))
      .filter((t) => t !== undefined);
    expect(texts).toEqual(['Hel', '{"a"']);
    expect(state).toMatchObject({ stopped: true, stopReason: 'end_turn' });
    expect(fromUsage(state.usage)).toEqual({ input_tokens: 9, output_tokens: 7, total_tokens: 16 });
  });
});

describe('Anthropic tools and parameters', () => {
  const weather = {
    name: 'get_weather',
    description: 'Weather',
    parameters: { type: 'object', properties: {} },
  };

  it('maps tool calls to tool_use, consecutive tool results to one user turn, and the tool choice', () => {
    const params = toMessageParams({
      model: 'claude',
      messages: [
        { role: 'user', content: 'Weather?', parts: ['Weather', '?'] },
        {
          role: 'assistant',
          content: '',
          tool_calls: [
            { id: 'call_1', name: 'get_weather', arguments: '{"city":"Lyon"}' },
            { id: 'call_2', name: 'get_weather', arguments: 'not json' },
          ],
        },
        { role: 'tool', content: 'sunny', tool_call_id: 'call_1' },
        { role: 'tool', content: 'rain', tool_call_id: 'call_2' },
      ],
      tools: [weather],
      tool_choice: 'required',
      parallel_tool_calls: false,
      params: { stop: ['END'], user: 'u1', reasoning_effort: 'high', service_tier: 'default' },
    });
    expect(params).toMatchObject({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Weather' },
            { type: 'text', text: '?' },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Lyon' } },
            { type: 'tool_use', id: 'call_2', name: 'get_weather', input: {} },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'call_1', content: 'sunny' },
            { type: 'tool_result', tool_use_id: 'call_2', content: 'rain' },
          ],
        },
      ],
      tools: [
        { name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: {} } },
      ],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      stop_sequences: ['END'],
      metadata: { user_id: 'u1' },
      output_config: { effort: 'high' },
      service_tier: 'standard_only',
    });
  });

  it('refuses what the Messages API has no equivalent for, by name', () => {
    expect(anthropicRefusal('seed', 1)).toMatch(/seed/);
    expect(anthropicRefusal('logprobs', true)).toMatch(/logprobs/);
    expect(anthropicRefusal('reasoning_effort', 'minimal')).toMatch(/reasoning_effort "minimal"/);
    expect(anthropicRefusal('service_tier', 'flex')).toMatch(/service_tier "flex"/);
    expect(anthropicRefusal('stop', ['x'])).toBeUndefined();
    expect(anthropicRefusal('reasoning_effort', 'low')).toBeUndefined();
  });

  it('reads client tool calls from a message and from a stream, apart from the output tool', () => {
    const msg = {
      content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Lyon' } }],
      stop_reason: 'tool_use',
      usage: { input_tokens: 1, output_tokens: 1 },
    } as unknown as Message;
    expect(fromMessage(msg, { model: 'claude', messages: [], tools: [weather] })).toMatchObject({
      finish_reason: 'tool_call',
      tool_calls: [{ id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Lyon"}' }],
    });
    const state = newStreamState();
    const events = [
      {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'tool_use', id: 'toolu_2', name: 'get_weather', input: {} },
      },
      { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"city"' } },
      {
        type: 'content_block_start',
        index: 1,
        content_block: { type: 'tool_use', id: 'toolu_3', name: 'answer', input: {} },
      },
      { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"a":1}' } },
    ] as unknown as RawMessageStreamEvent[];
    expect(events.map((e) => readStreamEvent(e, state, 'answer'))).toEqual([
      { type: 'tool_call', index: 0, id: 'toolu_2', name: 'get_weather', arguments: '' },
      { type: 'tool_call', index: 0, arguments: '{"city"' },
      undefined,
      { type: 'delta', text: '{"a":1}' },
    ]);
  });
});
