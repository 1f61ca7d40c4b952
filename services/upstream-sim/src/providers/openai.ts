import { type IncomingHttpHeaders } from 'node:http';
import { type Completion, type OutputSpec, type SimRequest } from '../completion';
import { streamPieces } from '../completion';
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

/** OpenAI Chat Completions: `POST /v1/chat/completions`, `Authorization: Bearer <key>`. */

const ERROR_TYPES: Record<SimErrorKind, string> = {
  invalid_request: 'invalid_request_error',
  authentication: 'invalid_request_error',
  not_found: 'invalid_request_error',
  too_large: 'invalid_request_error',
  rate_limit: 'requests',
  server: 'server_error',
  unavailable: 'server_error',
  overloaded: 'server_error',
};

const FINISH: Record<Completion['finish'], string> = { stop: 'stop', length: 'length', tool: 'tool_calls' };
const FINGERPRINT = 'fp_sim';

function parseOutput(body: Record<string, unknown>): OutputSpec | SimError {
  const tools = Array.isArray(body.tools) ? body.tools.filter(isRecord) : [];
  const choice = body.tool_choice;
  let forced: string | undefined;
  if (choice === 'required') {
    const first = tools[0]?.function;
    if (!isRecord(first) || typeof first.name !== 'string') {
      return invalid("tool_choice 'required' needs at least one function tool", 'tool_choice');
    }
    forced = first.name;
  } else if (isRecord(choice) && isRecord(choice.function) && typeof choice.function.name === 'string') {
    forced = choice.function.name;
  }
  if (forced !== undefined) {
    const tool = tools.find((t) => isRecord(t.function) && t.function.name === forced);
    if (!tool || !isRecord(tool.function)) {
      return invalid(`tool_choice names function '${forced}', which is not in tools`, 'tool_choice');
    }
    return { kind: 'tool', name: forced, schema: tool.function.parameters ?? { type: 'object' } };
  }
  const format = body.response_format;
  if (isRecord(format) && format.type === 'json_schema') {
    if (!isRecord(format.json_schema))
      return invalid('response_format.json_schema is required', 'response_format');
    return { kind: 'json', schema: format.json_schema.schema ?? { type: 'object' } };
  }
  if (isRecord(format) && format.type === 'json_object') return { kind: 'json' };
  return { kind: 'text' };
}

function sse(data: unknown): string {
  return `data: ${JSON.stringify(data)}\n\n`;
}

export const openAiDialect: Dialect = {
  name: 'openai',
  requestIdHeader: 'x-request-id',

  hasApiKey(headers: IncomingHttpHeaders): boolean {
    const auth = headers.authorization;
    return typeof auth === 'string' && /^Bearer\s+\S/i.test(auth);
  },

  parse(body: unknown): SimRequest | SimError {
    if (!isRecord(body)) return invalid('The request body must be a JSON object.');
    if (typeof body.model !== 'string' || body.model === '') {
      return invalid('you must provide a model parameter', 'model');
    }
    if (!Array.isArray(body.messages) || body.messages.length === 0) {
      return invalid("Invalid 'messages': expected a non-empty array.", 'messages');
    }
    const lines: string[] = [];
    let lastUserText = '';
    let toolResult: string | undefined;
    for (const [i, m] of body.messages.entries()) {
      if (!isRecord(m) || typeof m.role !== 'string') {
        return invalid(`Invalid 'messages[${i}]': expected an object with a role.`, `messages[${i}]`);
      }
      const text = contentText(m.content);
      lines.push(`${m.role}: ${text}`);
      if (m.role === 'user') lastUserText = text;
      toolResult = m.role === 'tool' ? text : undefined;
    }
    const output = parseOutput(body);
    if ('status' in output) return output;
    const first = Array.isArray(body.tools) && isRecord(body.tools[0]) ? body.tools[0].function : undefined;
    return {
      firstTool:
        isRecord(first) && typeof first.name === 'string'
          ? { name: first.name, schema: first.parameters ?? { type: 'object' } }
          : undefined,
      toolResult,
      model: body.model,
      stream: body.stream === true,
      includeUsage: isRecord(body.stream_options) && body.stream_options.include_usage === true,
      transcript: lines.join('\n'),
      lastUserText,
      maxTokens: positiveInt(body.max_completion_tokens) ?? positiveInt(body.max_tokens),
      output,
    };
  },

  errorBody(err: SimError): object {
    return {
      error: {
        message: err.message,
        type: ERROR_TYPES[err.kind],
        param: err.param ?? null,
        code: err.code ?? null,
      },
    };
  },

  message(req: SimRequest, c: Completion, ids: ResponseIds): object {
    const message =
      c.kind === 'tool'
        ? {
            role: 'assistant',
            content: null,
            refusal: null,
            annotations: [],
            tool_calls: [
              {
                id: `call_sim_${ids.seq}`,
                type: 'function',
                function: { name: c.toolName, arguments: c.text },
              },
            ],
          }
        : { role: 'assistant', content: c.text, refusal: null, annotations: [] };
    return {
      id: `chatcmpl-sim-${ids.seq}`,
      object: 'chat.completion',
      created: ids.created,
      model: req.model,
      choices: [{ index: 0, message, logprobs: null, finish_reason: FINISH[c.finish] }],
      usage: {
        prompt_tokens: c.usage.input,
        completion_tokens: c.usage.output,
        total_tokens: c.usage.input + c.usage.output,
      },
      system_fingerprint: FINGERPRINT,
    };
  },

  stream(req: SimRequest, c: Completion, ids: ResponseIds): SseScript {
    const head = {
      id: `chatcmpl-sim-${ids.seq}`,
      object: 'chat.completion.chunk',
      created: ids.created,
      model: req.model,
      system_fingerprint: FINGERPRINT,
    };
    const chunk = (delta: object, finish: string | null = null): string =>
      sse({ ...head, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
    const pieces = streamPieces(c);
    const events: string[] = [];
    if (c.kind === 'tool') {
      const call = {
        index: 0,
        id: `call_sim_${ids.seq}`,
        type: 'function',
        function: { name: c.toolName, arguments: '' },
      };
      events.push(chunk({ role: 'assistant', content: null, tool_calls: [call] }));
      for (const p of pieces) events.push(chunk({ tool_calls: [{ index: 0, function: { arguments: p } }] }));
    } else {
      events.push(chunk({ role: 'assistant', content: '', refusal: null }));
      for (const p of pieces) events.push(chunk({ content: p }));
    }
    const cutAfter = 1 + Math.min(3, pieces.length);
    events.push(chunk({}, FINISH[c.finish]));
    if (req.includeUsage) {
      const usage = {
        prompt_tokens: c.usage.input,
        completion_tokens: c.usage.output,
        total_tokens: c.usage.input + c.usage.output,
      };
      events.push(sse({ ...head, choices: [], usage }));
    }
    events.push('data: [DONE]\n\n');
    return { events, cutAfter };
  },

  models(ids: readonly string[]): object {
    return {
      object: 'list',
      data: ids.map((id) => ({ id, object: 'model', created: 0, owned_by: 'flywheel-sim' })),
    };
  },
};
