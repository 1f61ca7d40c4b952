import type { ServerResponse } from 'node:http';
import type { FlywheelAnswerMeta } from '@flywheel/contracts';
import type { MappedError } from '@flywheel/platform';
import type { FastifyReply } from 'fastify';
import type { ChainResult, ChainStream } from '../chain/chain-executor';
import { GatewayError } from '../chain/gateway-error';
import type { Interaction } from '../interactions/interaction.service';
import type { LlmDelta } from '../llm/llm.types';
import { answerHeaders, answerMeta, routedHeaders } from './answer-headers';
import { type ErrorLog, gatewayErrorReply } from './gateway-errors';

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
};

/** The events of one API's streamed answer (OpenAI chunks, Anthropic message events). */
export interface SseFormat {
  /** the opening events, with the first delta when there is one; `meta` rides on them */
  first(delta: LlmDelta | undefined, meta: FlywheelAnswerMeta): string;
  delta(delta: LlmDelta): string;
  /** the closing events of a finished answer */
  end(result: ChainResult): string;
  /** the event that ends a stream that broke after its first byte */
  error(code: string, message: string): string;
}

export interface StreamOptions {
  /** the format of this answer, once the model that answers is known */
  format(model: string): SseFormat;
  /** rewrites an error response sent before the first byte (another API's error shape) */
  errorBody?(mapped: MappedError): unknown;
  log: ErrorLog;
}

/**
 * Writes a streamed answer as server-sent events on the raw response (the reply is hijacked, so
 * Nest and Fastify send nothing themselves).
 *
 * Nothing is written until the first token: failover happens in the chain before it, and a
 * chain that fails there gets an ordinary JSON error response with its status. The headers —
 * the `x-flywheel-*` ones included, now that the model is known — go out with the first byte,
 * and the `flywheel` object rides on the first event. A stream that breaks after that ends with
 * the format's explicit error event, never a clean end.
 */
export async function writeSseStream(
  reply: FastifyReply,
  interaction: Interaction,
  stream: ChainStream,
  options: StreamOptions,
): Promise<void> {
  reply.hijack();
  const res = reply.raw;
  const iterator = stream[Symbol.asyncIterator]();
  try {
    await writeEvents(res, interaction, stream, iterator, options);
  } catch (err) {
    // stops the chain (aborts upstream) and settles its result, so the interaction is recorded
    void Promise.resolve(iterator.return?.()).catch(() => undefined);
    // a bug, not a chain failure (those are written as events): never leave the socket hanging
    options.log(
      `stream ${interaction.id} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    );
    if (!res.headersSent) writeErrorResponse(res, interaction, err, options);
    else if (!res.writableEnded) res.end(options.format('').error('internal_error', 'internal error'));
  }
}

async function writeEvents(
  res: ServerResponse,
  interaction: Interaction,
  stream: ChainStream,
  iterator: AsyncIterator<LlmDelta>,
  options: StreamOptions,
): Promise<void> {
  let first: IteratorResult<LlmDelta>;
  let model: string;
  try {
    first = await iterator.next();
    model = stream.model ?? (await stream.result).final_model;
  } catch (err) {
    writeErrorResponse(res, interaction, err, options);
    return;
  }

  const meta = answerMeta(interaction, model);
  res.writeHead(200, { ...SSE_HEADERS, ...answerHeaders(meta) });
  const out = new SseOut(res);
  const format = options.format(model);
  try {
    await out.write(format.first(first.done ? undefined : first.value, meta));
    if (!first.done) {
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
        await out.write(format.delta(next.value));
      }
    }
    out.end(format.end(await stream.result));
  } catch (err) {
    if (!(err instanceof GatewayError)) throw err;
    out.end(format.error(err.code, err.message));
  }
}

function writeErrorResponse(
  res: ServerResponse,
  interaction: Interaction,
  err: unknown,
  options: StreamOptions,
): void {
  if (res.destroyed || res.headersSent) return;
  const mapped = gatewayErrorReply(err, options.log);
  res.writeHead(mapped.status, {
    ...mapped.headers,
    ...routedHeaders(interaction),
    'content-type': 'application/json; charset=utf-8',
  });
  res.end(JSON.stringify(options.errorBody ? options.errorBody(mapped) : mapped.body));
}

/**
 * Writes to a response with backpressure, and coalesces the chunks of one event-loop turn
 * into one socket write (the deltas of an upstream burst arrive together).
 */
class SseOut {
  private corked = false;

  constructor(private readonly res: ServerResponse) {}

  async write(chunk: string): Promise<void> {
    const { res } = this;
    if (res.destroyed) return;
    if (!this.corked) {
      this.corked = true;
      res.cork();
      setImmediate(this.uncork);
    }
    if (!res.write(chunk)) await drained(res);
  }

  end(chunk: string): void {
    if (this.res.destroyed) return;
    this.res.end(chunk);
  }

  private readonly uncork = (): void => {
    this.corked = false;
    // end() uncorks fully; after it the socket may already serve the next keep-alive request
    if (!this.res.writableEnded) this.res.uncork();
  };
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
