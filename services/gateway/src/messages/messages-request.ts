import type {
  ChatCompletionRequest,
  ChatRequestMessage,
  ChatTool,
  MessagesContentBlock,
  MessagesMessage,
  MessagesRequest,
} from '@flywheel/contracts';
import { invalidField } from '../chat/chat-request';

/**
 * An Anthropic Messages request as the Chat Completions request the gateway already serves, so
 * `/v1/messages` takes the same path (routes, rollouts, refusals, events): the request-side
 * mirror of the Anthropic provider mapping. `system` becomes a system message; text blocks
 * become content parts; an assistant's `tool_use` blocks become its tool calls and `tool_result`
 * blocks `tool` messages (a result with `is_error` is sent as `Error: <text>`); tool choice
 * `any` is `required`; `metadata.user_id` is the `user` (targeting key); `service_tier`
 * `standard_only` is `default`. Pure functions.
 */

type TextBlock = Extract<MessagesContentBlock, { type: 'text' }>;
type ChatContent = Exclude<ChatRequestMessage['content'], null | undefined>;

function textContent(blocks: string | readonly TextBlock[]): ChatContent {
  return typeof blocks === 'string' ? blocks : blocks.map((b) => ({ type: 'text' as const, text: b.text }));
}

function toolResult(block: Extract<MessagesContentBlock, { type: 'tool_result' }>): ChatRequestMessage {
  let content = textContent(block.content ?? '');
  if (block.is_error === true) {
    content =
      typeof content === 'string' ? `Error: ${content}` : [{ type: 'text', text: 'Error:' }, ...content];
  }
  return { role: 'tool', tool_call_id: block.tool_use_id, content };
}

function userMessages(m: MessagesMessage, i: number): ChatRequestMessage[] {
  if (typeof m.content === 'string') return [{ role: 'user', content: m.content }];
  const out: ChatRequestMessage[] = [];
  let text: { type: 'text'; text: string }[] = [];
  m.content.forEach((block, j) => {
    if (block.type === 'tool_use')
      throw invalidField(`messages.${i}.content.${j}`, 'tool_use blocks belong in assistant messages');
    if (block.type === 'text') {
      text.push({ type: 'text', text: block.text });
      return;
    }
    if (text.length > 0) out.push({ role: 'user', content: text });
    text = [];
    out.push(toolResult(block));
  });
  if (text.length > 0) out.push({ role: 'user', content: text });
  return out;
}

function assistantMessage(m: MessagesMessage, i: number): ChatRequestMessage {
  if (typeof m.content === 'string') return { role: 'assistant', content: m.content };
  const text: { type: 'text'; text: string }[] = [];
  const calls: NonNullable<ChatRequestMessage['tool_calls']> = [];
  m.content.forEach((block, j) => {
    if (block.type === 'tool_result')
      throw invalidField(`messages.${i}.content.${j}`, 'tool_result blocks belong in user messages');
    if (block.type === 'text') text.push({ type: 'text', text: block.text });
    else
      calls.push({
        id: block.id,
        type: 'function',
        function: { name: block.name, arguments: JSON.stringify(block.input) },
      });
  });
  if (calls.length === 0) return { role: 'assistant', content: text };
  return { role: 'assistant', content: text.length > 0 ? text : null, tool_calls: calls };
}

function toolChoice(
  body: MessagesRequest,
): Pick<ChatCompletionRequest, 'tool_choice' | 'parallel_tool_calls'> {
  const choice = body.tool_choice;
  if (choice === undefined) return {};
  const parallel =
    choice.type !== 'none' && choice.disable_parallel_tool_use === true ? { parallel_tool_calls: false } : {};
  switch (choice.type) {
    case 'auto':
      return { tool_choice: 'auto', ...parallel };
    case 'any':
      return { tool_choice: 'required', ...parallel };
    case 'none':
      return { tool_choice: 'none' };
    case 'tool':
      return { tool_choice: { type: 'function', function: { name: choice.name } }, ...parallel };
  }
}

export function toChatRequest(body: MessagesRequest): ChatCompletionRequest {
  const messages: ChatRequestMessage[] = [];
  if (body.system !== undefined) messages.push({ role: 'system', content: textContent(body.system) });
  body.messages.forEach((m, i) => {
    if (m.role === 'user') messages.push(...userMessages(m, i));
    else messages.push(assistantMessage(m, i));
  });
  const request: ChatCompletionRequest = {
    model: body.model,
    messages,
    max_tokens: body.max_tokens,
    stream: body.stream === true,
    ...toolChoice(body),
  };
  if (body.tools !== undefined && body.tools.length > 0) {
    request.tools = body.tools.map((t): ChatTool => ({
      type: 'function',
      function: {
        name: t.name,
        parameters: t.input_schema,
        ...(t.description === undefined ? {} : { description: t.description }),
        ...(t.strict === undefined ? {} : { strict: t.strict }),
      },
    }));
  }
  if (body.temperature !== undefined) request.temperature = body.temperature;
  if (body.top_p !== undefined) request.top_p = body.top_p;
  if (body.stop_sequences !== undefined && body.stop_sequences.length > 0) request.stop = body.stop_sequences;
  const user = body.metadata?.user_id;
  if (user !== undefined && user !== null) request.user = user;
  if (body.service_tier !== undefined)
    request.service_tier = body.service_tier === 'standard_only' ? 'default' : 'auto';
  return request;
}
