import { MessagesRequest } from '@flywheel/contracts';
import { DomainError } from '@flywheel/platform';
import { toChatRequest } from './messages-request';

const request = (body: object) =>
  toChatRequest(MessagesRequest.parse({ model: 'm', max_tokens: 10, ...body }));

describe('toChatRequest', () => {
  it('turns system, text blocks, tool_use and tool_result into the chat request', () => {
    const chat = request({
      system: [{ type: 'text', text: 'Be brief.' }],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'one' },
            { type: 'text', text: 'two' },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Let me look.' },
            { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Lyon' } },
            { type: 'tool_use', id: 'toolu_2', name: 'get_time', input: {} },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: '21 C' },
            {
              type: 'tool_result',
              tool_use_id: 'toolu_2',
              content: [{ type: 'text', text: 'boom' }],
              is_error: true,
            },
            { type: 'text', text: 'And tomorrow?' },
          ],
        },
      ],
    });
    expect(chat.messages).toEqual([
      { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'one' },
          { type: 'text', text: 'two' },
        ],
      },
      {
        role: 'assistant',
        content: [{ type: 'text', text: 'Let me look.' }],
        tool_calls: [
          {
            id: 'toolu_1',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Lyon"}' },
          },
          { id: 'toolu_2', type: 'function', function: { name: 'get_time', arguments: '{}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'toolu_1', content: '21 C' },
      {
        role: 'tool',
        tool_call_id: 'toolu_2',
        content: [
          { type: 'text', text: 'Error:' },
          { type: 'text', text: 'boom' },
        ],
      },
      { role: 'user', content: [{ type: 'text', text: 'And tomorrow?' }] },
    ]);
  });

  it('gives an assistant turn of only tool_use null content', () => {
    const chat = request({
      messages: [
        { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'f', input: { a: [1] } }] },
      ],
    });
    expect(chat.messages[0]).toMatchObject({ role: 'assistant', content: null });
  });

  it('maps tools, tool_choice, sampling, stop sequences, metadata.user_id and service_tier', () => {
    const schema = { type: 'object', properties: { q: { type: 'string' } } };
    expect(
      request({
        messages: [{ role: 'user', content: 'hi' }],
        tools: [{ name: 'search', description: 'Search', input_schema: schema }],
        tool_choice: { type: 'any', disable_parallel_tool_use: true },
        temperature: 0.5,
        top_p: 0.8,
        stop_sequences: ['END'],
        metadata: { user_id: 'u-1' },
        service_tier: 'standard_only',
        stream: true,
      }),
    ).toEqual({
      model: 'm',
      max_tokens: 10,
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
      tools: [{ type: 'function', function: { name: 'search', description: 'Search', parameters: schema } }],
      tool_choice: 'required',
      parallel_tool_calls: false,
      temperature: 0.5,
      top_p: 0.8,
      stop: ['END'],
      user: 'u-1',
      service_tier: 'default',
    });
    const choices = ['auto', 'none'].map(
      (type) => request({ messages: [{ role: 'user', content: 'hi' }], tool_choice: { type } }).tool_choice,
    );
    expect(choices).toEqual(['auto', 'none']);
    expect(
      request({ messages: [{ role: 'user', content: 'hi' }], tool_choice: { type: 'tool', name: 'search' } })
        .tool_choice,
    ).toEqual({ type: 'function', function: { name: 'search' } });
  });

  it('refuses blocks in the wrong turn with the field path', () => {
    const wrong = [
      [
        { role: 'user', content: [{ type: 'tool_use', id: 't', name: 'f', input: {} }] },
        'messages.0.content.0',
      ],
      [
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'a' },
            { type: 'tool_result', tool_use_id: 't' },
          ],
        },
        'messages.0.content.1',
      ],
    ] as const;
    for (const [message, path] of wrong) {
      let thrown: unknown;
      try {
        request({ messages: [message] });
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(DomainError);
      expect((thrown as DomainError).details).toEqual({ issues: [{ path, message: expect.any(String) }] });
    }
  });

  it('refuses what it cannot honour by name in the schema', () => {
    for (const field of ['top_k', 'thinking', 'mcp_servers', 'frobnicate']) {
      const parsed = MessagesRequest.safeParse({
        model: 'm',
        max_tokens: 1,
        messages: [{ role: 'user', content: 'x' }],
        [field]: 1,
      });
      expect(JSON.stringify(parsed.error?.issues)).toContain(field);
    }
  });
});
