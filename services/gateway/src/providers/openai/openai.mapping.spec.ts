import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { LlmRequest } from '../../llm/llm.types';
import {
  chunkFinishReason,
  chunkText,
  chunkToolCalls,
  fromChatCompletion,
  fromFinishReason,
  toChatCompletionParams,
  toChatCompletionStreamParams,
} from './openai.mapping';

const schema = { type: 'object', properties: { a: { type: 'string' } } };

describe('OpenAI request mapping', () => {
  it('puts the system prompt first and maps roles for OpenAI-compatible servers', () => {
    const req: LlmRequest = {
      model: 'gpt-4o-mini',
      system: 'Be brief.',
      messages: [
        { role: 'developer', content: 'dev note' },
        { role: 'user', content: 'hi', name: 'ann' },
        { role: 'assistant', content: 'hello' },
        { role: 'tool', content: '{"t":1}' },
      ],
    };
    expect(toChatCompletionParams(req)).toEqual({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'system', content: 'dev note' },
        { role: 'user', content: 'hi', name: 'ann' },
        { role: 'assistant', content: 'hello' },
        { role: 'user', content: '{"t":1}' },
      ],
    });
  });

  it('sends temperature, max_completion_tokens and a json_schema response_format only when set', () => {
    const params = toChatCompletionParams({
      model: 'm',
      messages: [{ role: 'user', content: 'q' }],
      temperature: 0.2,
      max_tokens: 64,
      output_schema: { name: 'answer', schema },
    });
    expect(params).toEqual({
      model: 'm',
      messages: [{ role: 'user', content: 'q' }],
      temperature: 0.2,
      max_completion_tokens: 64,
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema } },
    });
    expect(Object.keys(toChatCompletionParams({ model: 'm', messages: [] }))).toEqual(['model', 'messages']);
  });

  it('passes strict through when the schema spec asks for it', () => {
    const params = toChatCompletionParams({
      model: 'm',
      messages: [],
      output_schema: { name: 'a', schema, strict: true },
    });
    expect(params.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'a', schema, strict: true },
    });
  });

  it('streams with the usage chunk requested', () => {
    expect(toChatCompletionStreamParams({ model: 'm', messages: [] })).toEqual({
      model: 'm',
      messages: [],
      stream: true,
      stream_options: { include_usage: true },
    });
  });
});

describe('OpenAI response mapping', () => {
  const completion = (message: object, finish_reason: string, usage?: object) =>
    ({
      id: 'c',
      object: 'chat.completion',
      created: 0,
      model: 'm',
      choices: [{ index: 0, message, finish_reason, logprobs: null }],
      usage,
    }) as unknown as ChatCompletion;

  it('maps content, usage and finish reason', () => {
    const res = fromChatCompletion(
      completion({ role: 'assistant', content: 'Hi!', refusal: null }, 'length', {
        prompt_tokens: 3,
        completion_tokens: 4,
        total_tokens: 7,
      }),
    );
    expect(res).toEqual({
      text: 'Hi!',
      usage: { input_tokens: 3, output_tokens: 4, total_tokens: 7 },
      finish_reason: 'length',
    });
  });

  it('returns a refusal as the text, and zero usage when the server reports none', () => {
    const res = fromChatCompletion(
      completion({ role: 'assistant', content: null, refusal: 'No.' }, 'content_filter'),
    );
    expect(res).toEqual({
      text: 'No.',
      usage: { input_tokens: 0, output_tokens: 0, total_tokens: 0 },
      finish_reason: 'content_filter',
    });
  });

  it.each([
    ['stop', 'stop'],
    ['length', 'length'],
    ['tool_calls', 'tool_call'],
    ['function_call', 'tool_call'],
    ['content_filter', 'content_filter'],
    ['something_new', 'other'],
    [null, 'other'],
  ])('finish_reason %s → %s', (reason, mapped) => {
    expect(fromFinishReason(reason)).toBe(mapped);
  });

  it('reads text and finish reason from stream chunks, skipping empty deltas', () => {
    const chunk = (delta: object, finish_reason: string | null = null) =>
      ({ choices: [{ index: 0, delta, finish_reason }] }) as unknown as ChatCompletionChunk;
    expect(chunkText(chunk({ role: 'assistant', content: '' }))).toBeUndefined();
    expect(chunkText(chunk({ content: 'Hel' }))).toBe('Hel');
    expect(chunkText(chunk({}, 'stop'))).toBeUndefined();
    expect(chunkFinishReason(chunk({}, 'stop'))).toBe('stop');
    expect(chunkText({ choices: [] } as unknown as ChatCompletionChunk)).toBeUndefined();
  });
});

describe('OpenAI tools and parameters', () => {
  it('sends tools, tool calls, tool results, content parts and every parameter as OpenAI takes them', () => {
    const params = toChatCompletionParams({
      model: 'gpt',
      messages: [
        { role: 'user', content: 'a\nb', parts: ['a', 'b'] },
        { role: 'assistant', content: '', tool_calls: [{ id: 'call_1', name: 'f', arguments: '{}' }] },
        { role: 'tool', content: 'done', tool_call_id: 'call_1' },
      ],
      tools: [{ name: 'f', parameters: { type: 'object' }, strict: true }],
      tool_choice: { name: 'f' },
      parallel_tool_calls: false,
      json_object: true,
      params: { stop: ['END'], seed: 3, top_p: 0.5, logprobs: true, top_logprobs: 2, user: 'u' },
    });
    expect(params).toEqual({
      model: 'gpt',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'a' },
            { type: 'text', text: 'b' },
          ],
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }],
        },
        { role: 'tool', content: 'done', tool_call_id: 'call_1' },
      ],
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' }, strict: true } }],
      tool_choice: { type: 'function', function: { name: 'f' } },
      parallel_tool_calls: false,
      response_format: { type: 'json_object' },
      stop: ['END'],
      seed: 3,
      top_p: 0.5,
      logprobs: true,
      top_logprobs: 2,
      user: 'u',
    });
  });

  it('reads tool calls from an answer and from stream chunks', () => {
    const completion = {
      choices: [
        {
          message: {
            content: null,
            tool_calls: [{ id: 'call_9', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
          },
          finish_reason: 'tool_calls',
        },
      ],
    } as unknown as ChatCompletion;
    expect(fromChatCompletion(completion)).toMatchObject({
      text: '',
      finish_reason: 'tool_call',
      tool_calls: [{ id: 'call_9', name: 'f', arguments: '{"a":1}' }],
    });
    const chunk = (delta: object) => ({ choices: [{ delta }] }) as unknown as ChatCompletionChunk;
    expect(
      chunkToolCalls(
        chunk({ tool_calls: [{ index: 0, id: 'call_9', function: { name: 'f', arguments: '' } }] }),
      ),
    ).toEqual([{ type: 'tool_call', index: 0, id: 'call_9', name: 'f', arguments: '' }]);
    expect(chunkToolCalls(chunk({ tool_calls: [{ index: 0, function: { arguments: '{"a"' } }] }))).toEqual([
      { type: 'tool_call', index: 0, arguments: '{"a"' },
    ]);
    expect(chunkToolCalls(chunk({ content: 'hi' }))).toEqual([]);
  });
});
