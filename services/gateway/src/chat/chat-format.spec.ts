import { ChatCompletionChunk } from '@flywheel/contracts';
import { ChunkFormat, SSE_DONE, sseError } from './chat-format';

const data = (line: string): unknown => {
  expect(line.startsWith('data: ')).toBe(true);
  expect(line.endsWith('\n\n')).toBe(true);
  return JSON.parse(line.slice(6, -2));
};

describe('ChunkFormat', () => {
  const format = new ChunkFormat('chatcmpl-1', 1_700_000_000, 'model "x"');
  const meta = {
    interaction_id: 'i',
    feedback_token: 't',
    route: null,
    variant: 'direct',
    model: 'model "x"',
  };

  it('writes OpenAI chat.completion.chunk events that fit the contract, whatever the text', () => {
    for (const text of ['plain', 'quote " and \\ backslash', 'line\nbreak', '\u2028 \u0000 emoji 🎉', '']) {
      const first = data(format.first(text, meta));
      expect(ChatCompletionChunk.parse(first)).toMatchObject({
        id: 'chatcmpl-1',
        object: 'chat.completion.chunk',
        created: 1_700_000_000,
        model: 'model "x"',
        choices: [{ index: 0, delta: { role: 'assistant', content: text }, finish_reason: null }],
        flywheel: meta,
      });
      expect(ChatCompletionChunk.parse(data(format.delta(text))).choices[0]?.delta).toEqual({
        content: text,
      });
    }
  });

  it('maps finish reasons and writes usage in OpenAI terms', () => {
    expect(ChatCompletionChunk.parse(data(format.finish('tool_call'))).choices[0]?.finish_reason).toBe(
      'tool_calls',
    );
    expect(ChatCompletionChunk.parse(data(format.finish('other'))).choices[0]?.finish_reason).toBe('stop');
    expect(
      ChatCompletionChunk.parse(data(format.usage({ input_tokens: 1, output_tokens: 2, total_tokens: 3 }))),
    ).toMatchObject({ choices: [], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } });
  });

  it('ends with [DONE], or with an error event', () => {
    expect(SSE_DONE).toBe('data: [DONE]\n\n');
    expect(data(sseError('truncated', 'cut "here"'))).toEqual({
      error: { type: 'truncated', code: 'truncated', param: null, message: 'cut "here"' },
    });
  });
});
