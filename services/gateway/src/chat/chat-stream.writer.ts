import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { ChainStream } from '../chain/chain-executor';
import { GatewayError } from '../chain/gateway-error';
import { answerHeaders, answerMeta, routedHeaders } from '../http/answer-headers';
import { type ErrorLog, gatewayErrorReply } from '../http/gateway-errors';
import type { Interaction } from '../interactions/interaction.service';
import type { LlmDelta } from '../llm/llm.types';
import { ChunkFormat, completionId, SSE_DONE, sseError } from './chat-format';

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
};

export interface StreamOptions {
  /** `stream_options.include_usage`: a usage chunk before `[DONE]` */
  includeUsage: boolean;
  log: ErrorLog;
}

/**
 * Writes a streamed answer as OpenAI `chat.completion.chunk` server-sent events on the raw
 * response (the reply is hijacked, so Nest and Fastify send nothing themselves).
 *
 * Nothing is written until the first token: failover happens in the chain before it, and a
 * chain that fails there gets an ordinary JSON error response with its status. The headers —
 * the `x-flywheel-*` ones included, now that the model is known — go out with the first byte,
 * and the `flywheel` object rides on the first chunk. A stream that breaks after that ends with
 * an explicit `data: {"error": …}` event and no `[DONE]`.
 */
export async function writeChatStream(
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
    if (!res.headersSent) writeErrorResponse(res, interaction, err, options.log);
    else if (!res.writableEnded) res.end(sseError('internal_error', 'internal error'));
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
    writeErrorResponse(res, interaction, err, options.log);
    return;
  }

  const meta = answerMeta(interaction, model);
  res.writeHead(200, { ...SSE_HEADERS, ...answerHeaders(meta) });
  const out = new SseOut(res);
  const format = new ChunkFormat(completionId(interaction), Math.floor(interaction.startedAt / 1000), model);
  try {
    await out.write(format.first(first.done ? '' : first.value, meta));
    if (!first.done) {
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
        await out.write(format.delta(next.value));
      }
    }
    const result = await stream.result;
    await out.write(format.finish(result.response.finish_reason));
    if (options.includeUsage) await out.write(format.usage(result.usage));
    out.end(SSE_DONE);
  } catch (err) {
    if (!(err instanceof GatewayError)) throw err;
    out.end(sseError(err.code, err.message));
  }
}

function writeErrorResponse(
  res: ServerResponse,
  interaction: Interaction,
  err: unknown,
  log: ErrorLog,
): void {
  if (res.destroyed || res.headersSent) return;
  const mapped = gatewayErrorReply(err, log);
  res.writeHead(mapped.status, {
    ...mapped.headers,
    ...routedHeaders(interaction),
    'content-type': 'application/json; charset=utf-8',
  });
  res.end(JSON.stringify(mapped.body));
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
