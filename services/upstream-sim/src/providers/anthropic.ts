import { type IncomingHttpHeaders } from 'node:http';
import { type Completion, type OutputSpec, type SimRequest, streamPieces } from '../completion';
import {
  contentText,
  type Dialect,
  invalid,
  isRecord,
  positiveInt,
  type ResponseIds,
  type SimError,
  type SimErrorKind,
  type SseScript,
} from './dialect';

/** Anthropic Messages: `POST /v1/messages`, `x-api-key: <key>` (or `Authorization: Bearer`). */

const ERROR_TYPES: Record<SimErrorKind, string> = {
  invalid_request: 'invalid_request_error',
  authentication: 'authentication_error',
  not_found: 'not_found_error',
  too_large: 'request_too_large',
  rate_limit: 'rate_limit_error',
  server: 'api_error',
  unavailable: 'api_error',
  overloaded: 'overloaded_error',
};

const STOP: Record<Completion['finish'], string> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool: 'tool_use',
};

function parseOutput(body: Record<string, unknown>): OutputSpec | SimError {
  const tools = Array.isArray(body.tools) ? body.tools.filter(isRecord) : [];
  const choice = isRecord(body.tool_choice) ? body.tool_choice : undefined;
  let forced: string | undefined;
  if (choice?.type === 'tool') {
    if (typeof choice.name !== 'string')
      return invalid('tool_choice.name: Field required', 'tool_choice.name');
    forced = choice.name;
  } else if (choice?.type === 'any') {
    const first = tools[0];
    if (!first || typeof first.name !== 'string')
      return invalid('tool_choice any requires tools', 'tool_choice');
    forced = first.name;
  }
  if (forced !== undefined) {
    const tool = tools.find((t) => t.name === forced);
    if (!tool) return invalid(`Tool '${forced}' not found in provided tools`, 'tool_choice');
    return { kind: 'tool', name: forced, schema: tool.input_schema ?? { type: 'object' } };
  }
  // GA structured outputs (`output_config.format`) and the earlier beta (`output_format`)
  const format = isRecord(body.output_config) ? body.output_config.format : body.output_format;
  if (isRecord(format) && format.type === 'json_schema') return { kind: 'json', schema: format.schema ?? {} };
  return { kind: 'text' };
}

function sse(type: string, data: object): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

/** Non-streamed tool input is a JSON object; text that does not parse (badjson) stays a string. */
function toolInput(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function usage(c: Completion): object {
  return {
    input_tokens: c.usage.input,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    output_tokens: c.usage.output,
  };
}

export const anthropicDialect: Dialect = {
  name: 'anthropic',
  requestIdHeader: 'request-id',

  hasApiKey(headers: IncomingHttpHeaders): boolean {
    const key = headers['x-api-key'];
    const auth = headers.authorization;
    return (
      (typeof key === 'string' && key.trim() !== '') ||
      (typeof auth === 'string' && /^Bearer\s+\S/i.test(auth))
    );
  },

  parse(body: unknown): SimRequest | SimError {
    if (!isRecord(body)) return invalid('The request body must be a JSON object.');
    if (typeof body.model !== 'string' || body.model === '') return invalid('model: Field required', 'model');
    const maxTokens = positiveInt(body.max_tokens);
    if (maxTokens === undefined) return invalid('max_tokens: Field required', 'max_tokens');
    if (!Array.isArray(body.messages) || body.messages.length === 0) {
      return invalid('messages: at least one message is required', 'messages');
    }
    const lines: string[] = [];
    const system = contentText(body.system);
    if (system !== '') lines.push(`system: ${system}`);
    let lastUserText = '';
    let toolResult: string | undefined;
    for (const [i, m] of body.messages.entries()) {
      if (!isRecord(m) || (m.role !== 'user' && m.role !== 'assistant')) {
        return invalid(`messages.${i}.role: Input should be 'user' or 'assistant'`, `messages.${i}.role`);
      }
      const text = contentText(m.content);
      lines.push(`${m.role}: ${text}`);
      if (m.role === 'user') lastUserText = text;
      const results = Array.isArray(m.content)
        ? m.content.filter((b) => isRecord(b) && b.type === 'tool_result')
        : [];
      toolResult = m.role === 'user' && results.length > 0 ? contentText(results) : undefined;
    }
    const output = parseOutput(body);
    if ('status' in output) return output;
    const first = Array.isArray(body.tools) && isRecord(body.tools[0]) ? body.tools[0] : undefined;
    return {
      firstTool:
        first && typeof first.name === 'string'
          ? { name: first.name, schema: first.input_schema ?? { type: 'object' } }
          : undefined,
      toolResult,
      model: body.model,
      stream: body.stream === true,
      includeUsage: false,
      transcript: lines.join('\n'),
      lastUserText,
      maxTokens,
      output,
    };
  },

  errorBody(err: SimError, requestId: string): object {
    return {
      type: 'error',
      error: { type: ERROR_TYPES[err.kind], message: err.message },
      request_id: requestId,
    };
  },

  message(req: SimRequest, c: Completion, ids: ResponseIds): object {
    const block =
      c.kind === 'tool'
        ? { type: 'tool_use', id: `toolu_sim_${ids.seq}`, name: c.toolName, input: toolInput(c.text) }
        : { type: 'text', text: c.text };
    return {
      id: `msg_sim_${ids.seq}`,
      type: 'message',
      role: 'assistant',
      model: req.model,
      content: [block],
      stop_reason: STOP[c.finish],
      stop_sequence: null,
      usage: usage(c),
    };
  },

  stream(req: SimRequest, c: Completion, ids: ResponseIds): SseScript {
    const pieces = streamPieces(c);
    const start = {
      id: `msg_sim_${ids.seq}`,
      type: 'message',
      role: 'assistant',
      model: req.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...usage(c), output_tokens: 1 },
    };
    const events = [sse('message_start', { message: start })];
    if (c.kind === 'tool') {
      const block = { type: 'tool_use', id: `toolu_sim_${ids.seq}`, name: c.toolName, input: {} };
      events.push(sse('content_block_start', { index: 0, content_block: block }));
      events.push(sse('ping', {}));
      for (const p of ['', ...pieces]) {
        events.push(
          sse('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: p } }),
        );
      }
    } else {
      events.push(sse('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }));
      events.push(sse('ping', {}));
      for (const p of pieces) {
        events.push(sse('content_block_delta', { index: 0, delta: { type: 'text_delta', text: p } }));
      }
    }
    const firstDelta = 3 + (c.kind === 'tool' ? 1 : 0);
    const cutAfter = firstDelta + Math.min(3, pieces.length);
    events.push(sse('content_block_stop', { index: 0 }));
    events.push(
      sse('message_delta', {
        delta: { stop_reason: STOP[c.finish], stop_sequence: null },
        usage: { output_tokens: c.usage.output },
      }),
    );
    events.push(sse('message_stop', {}));
    return { events, cutAfter };
  },

  models(ids: readonly string[]): object {
    const data = ids.map((id) => ({
      type: 'model',
      id,
      display_name: id,
      created_at: '2025-01-01T00:00:00Z',
    }));
    return { data, has_more: false, first_id: ids[0] ?? null, last_id: ids[ids.length - 1] ?? null };
  },
};
