import type { FlywheelAnswerMeta, MessagesErrorBody, MessagesResponse } from '@flywheel/contracts';
import type { MappedError } from '@flywheel/platform';
import type { ChainResult } from '../chain/chain-executor';
import { answerMeta } from '../http/answer-headers';
import type { SseFormat } from '../http/sse-stream.writer';
import type { Interaction } from '../interactions/interaction.service';
import type { LlmDelta, ToolCall, Usage } from '../llm/llm.types';
import { toStopReason } from '../providers/anthropic/anthropic.mapping';

/** The Anthropic Messages shapes of an answer (whole, or as stream events) and of an error. */

type ContentBlock = MessagesResponse['content'][number];

export function messageId(interaction: Interaction): string {
  return `msg_${interaction.id}`;
}

function messagesUsage(u: Usage): MessagesResponse['usage'] {
  return { input_tokens: u.input_tokens, output_tokens: u.output_tokens };
}

/** A tool call's arguments as the `input` object (arguments that are not a JSON object: `{}`). */
function toolInput(args: string): Record<string, unknown> {
  try {
    const input = JSON.parse(args) as unknown;
    return typeof input === 'object' && input !== null && !Array.isArray(input)
      ? (input as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

function content(text: string, calls: readonly ToolCall[] | undefined): ContentBlock[] {
  const blocks: ContentBlock[] = [];
  if (text !== '' || calls === undefined) blocks.push({ type: 'text', text });
  for (const c of calls ?? [])
    blocks.push({ type: 'tool_use', id: c.id, name: c.name, input: toolInput(c.arguments) });
  return blocks;
}

export function messagesResponse(interaction: Interaction, result: ChainResult): MessagesResponse {
  const { response } = result;
  return {
    id: messageId(interaction),
    type: 'message',
    role: 'assistant',
    model: result.final_model,
    content: content(response.text, response.tool_calls),
    stop_reason: toStopReason(response.finish_reason),
    stop_sequence: null,
    usage: messagesUsage(result.usage),
    flywheel: answerMeta(interaction, result.final_model),
  };
}

/** Anthropic's error type for an HTTP status (the SDK picks its error class by status). */
function anthropicErrorType(status: number): string {
  switch (status) {
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 504:
      return 'timeout_error';
    default:
      return status < 500 ? 'invalid_request_error' : 'api_error';
  }
}

/**
 * An error in Anthropic's shape, `{type: "error", error: {type, message}}`, keeping Flywheel's
 * `code`, `param` and `error_id` alongside.
 */
export function messagesErrorBody(mapped: MappedError): MessagesErrorBody {
  const { code, param, message, details, error_id } = mapped.body.error;
  const error: MessagesErrorBody['error'] = { type: anthropicErrorType(mapped.status), message };
  if (code !== undefined) error.code = code;
  if (param !== undefined) error.param = param;
  if (details !== undefined) error.details = details;
  if (error_id !== undefined) error.error_id = error_id;
  return { type: 'error', error };
}

function event(type: string, data: object): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

/**
 * The Messages stream of one answer: `message_start` (with the `flywheel` object), each content
 * block as `content_block_start`, its deltas and `content_block_stop` (text, then one block per
 * tool call), then `message_delta` (stop reason, usage) and `message_stop`. A stream that breaks
 * after its first byte ends with an `error` event and no `message_stop`.
 */
export class MessagesStreamFormat implements SseFormat {
  private index = -1;
  /** what the open block holds: text, or the tool call of that index; null when none is open */
  private open: 'text' | number | null = null;

  constructor(
    private readonly id: string,
    private readonly model: string,
  ) {}

  first(delta: LlmDelta | undefined, meta: FlywheelAnswerMeta): string {
    const start = event('message_start', {
      message: {
        id: this.id,
        type: 'message',
        role: 'assistant',
        model: this.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 0, output_tokens: 0 },
        flywheel: meta,
      },
    });
    return delta === undefined ? start : start + this.delta(delta);
  }

  delta(delta: LlmDelta): string {
    if (delta.type === 'delta') {
      const open = this.open === 'text' ? '' : this.startBlock('text', { type: 'text', text: '' });
      return (
        open +
        event('content_block_delta', { index: this.index, delta: { type: 'text_delta', text: delta.text } })
      );
    }
    const open =
      this.open === delta.index
        ? ''
        : this.startBlock(delta.index, {
            type: 'tool_use',
            id: delta.id ?? '',
            name: delta.name ?? '',
            input: {},
          });
    if (delta.arguments === '') return open;
    return (
      open +
      event('content_block_delta', {
        index: this.index,
        delta: { type: 'input_json_delta', partial_json: delta.arguments },
      })
    );
  }

  end(result: ChainResult): string {
    // an empty answer still has its (empty) text block, as the whole answer does
    const empty = this.index < 0 ? this.startBlock('text', { type: 'text', text: '' }) : '';
    return (
      empty +
      this.stopBlock() +
      event('message_delta', {
        delta: { stop_reason: toStopReason(result.response.finish_reason), stop_sequence: null },
        usage: messagesUsage(result.usage),
      }) +
      event('message_stop', {})
    );
  }

  error(code: string, message: string): string {
    const type = code === 'deadline_exceeded' ? 'timeout_error' : 'api_error';
    return event('error', { error: { type, message, code } });
  }

  private startBlock(holds: 'text' | number, block: object): string {
    const stop = this.stopBlock();
    this.index += 1;
    this.open = holds;
    return stop + event('content_block_start', { index: this.index, content_block: block });
  }

  private stopBlock(): string {
    if (this.open === null) return '';
    this.open = null;
    return event('content_block_stop', { index: this.index });
  }
}
