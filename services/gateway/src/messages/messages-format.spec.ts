import { MessagesErrorBody, MessagesResponse } from '@flywheel/contracts';
import type { ChainResult } from '../chain/chain-executor';
import type { Interaction } from '../interactions/interaction.service';
import { messagesErrorBody, messagesResponse, MessagesStreamFormat } from './messages-format';

const meta = { interaction_id: 'i-1', feedback_token: 't', route: 'r', variant: 'v', model: 'claude' };
const interaction = {
  id: 'i-1',
  feedbackToken: 't',
  startedAt: 0,
  assignment: { route: 'r', variant: 'v' },
} as unknown as Interaction;

function result(response: Partial<ChainResult['response']>): ChainResult {
  const usage = { input_tokens: 7, output_tokens: 3, total_tokens: 10 };
  return {
    response: { text: '', usage, finish_reason: 'stop', ...response },
    attempts: [],
    validation: { schema: false, valid: true, repaired: false, reasks: 0 },
    final_model: 'claude',
    usage,
    cost_usd: 0,
    latency_ms: 1,
  };
}

/** Each `event: x\ndata: {…}` of a stream text, checked to be well formed. */
function events(text: string): { type: string; data: Record<string, unknown> }[] {
  return text
    .split('\n\n')
    .filter((e) => e !== '')
    .map((e) => {
      const [head, body, ...rest] = e.split('\n');
      expect(rest).toEqual([]);
      const type = (head as string).slice('event: '.length);
      const data = JSON.parse((body as string).slice('data: '.length)) as Record<string, unknown>;
      expect(data.type).toBe(type);
      return { type, data };
    });
}

describe('messagesResponse', () => {
  it('answers text, then tool_use blocks with parsed input, with the stop reason', () => {
    const answer = messagesResponse(
      interaction,
      result({
        text: 'Looking.',
        finish_reason: 'tool_call',
        tool_calls: [
          { id: 'c1', name: 'f', arguments: '{"a":1}' },
          { id: 'c2', name: 'g', arguments: 'not json' },
        ],
      }),
    );
    expect(MessagesResponse.parse(answer)).toMatchObject({
      id: 'msg_i-1',
      content: [
        { type: 'text', text: 'Looking.' },
        { type: 'tool_use', id: 'c1', name: 'f', input: { a: 1 } },
        { type: 'tool_use', id: 'c2', name: 'g', input: {} },
      ],
      stop_reason: 'tool_use',
      usage: { input_tokens: 7, output_tokens: 3 },
      flywheel: meta,
    });
    expect(messagesResponse(interaction, result({ finish_reason: 'length' }))).toMatchObject({
      content: [{ type: 'text', text: '' }],
      stop_reason: 'max_tokens',
    });
    expect(messagesResponse(interaction, result({ finish_reason: 'other' })).stop_reason).toBe('end_turn');
  });
});

describe('MessagesStreamFormat', () => {
  it('opens and closes one block per kind of content, text then each tool call', () => {
    const f = new MessagesStreamFormat('msg_1', 'claude');
    const text =
      f.first({ type: 'delta', text: 'He said "hi"\n' }, meta) +
      f.delta({ type: 'delta', text: '🎉' }) +
      f.delta({ type: 'tool_call', index: 0, id: 'c1', name: 'f', arguments: '' }) +
      f.delta({ type: 'tool_call', index: 0, arguments: '{"a":' }) +
      f.delta({ type: 'tool_call', index: 0, arguments: '1}' }) +
      f.delta({ type: 'tool_call', index: 1, id: 'c2', name: 'g', arguments: '{}' }) +
      f.end(result({ finish_reason: 'tool_call' }));
    const seen = events(text);
    expect(seen.map((e) => `${e.type}${'index' in e.data ? `:${String(e.data.index)}` : ''}`)).toEqual([
      'message_start',
      'content_block_start:0',
      'content_block_delta:0',
      'content_block_delta:0',
      'content_block_stop:0',
      'content_block_start:1',
      'content_block_delta:1',
      'content_block_delta:1',
      'content_block_stop:1',
      'content_block_start:2',
      'content_block_delta:2',
      'content_block_stop:2',
      'message_delta',
      'message_stop',
    ]);
    expect(seen[0]?.data.message).toMatchObject({ id: 'msg_1', model: 'claude', flywheel: meta });
    expect(seen[5]?.data.content_block).toEqual({ type: 'tool_use', id: 'c1', name: 'f', input: {} });
    expect(seen[12]?.data).toMatchObject({ delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 3 } });
  });

  it('gives an empty answer its empty text block; a broken stream an error event', () => {
    const f = new MessagesStreamFormat('msg_2', 'm');
    const types = events(f.first(undefined, meta) + f.end(result({}))).map((e) => e.type);
    expect(types).toEqual([
      'message_start',
      'content_block_start',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(events(f.error('truncated', 'cut'))[0]?.data).toEqual({
      type: 'error',
      error: { type: 'api_error', message: 'cut', code: 'truncated' },
    });
  });
});

describe('messagesErrorBody', () => {
  it.each([
    [400, 'invalid_request_error'],
    [401, 'authentication_error'],
    [403, 'permission_error'],
    [404, 'not_found_error'],
    [413, 'request_too_large'],
    [422, 'invalid_request_error'],
    [429, 'rate_limit_error'],
    [502, 'api_error'],
    [504, 'timeout_error'],
  ])('%i is %s, keeping code, param and error_id', (status, type) => {
    const body = messagesErrorBody({
      status,
      body: { error: { type: 'x', code: 'x', param: 'a.b', message: 'm', error_id: 'e' } },
    });
    expect(MessagesErrorBody.parse(body)).toEqual({
      type: 'error',
      error: { type, message: 'm', code: 'x', param: 'a.b', error_id: 'e' },
    });
  });
});
