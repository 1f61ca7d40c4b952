import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { ProviderError } from './provider-error';

const MIB = 1024 * 1024;

/**
 * The largest upstream answer read whole (a JSON answer, or one server-sent event of a stream).
 * LLM answers are far smaller (a 128k-token answer is under 1 MiB); a bigger one is a broken or
 * hostile upstream, not an answer the chain should wait for or hold in memory.
 */
export const MAX_ANSWER_BYTES = 32 * MIB;

/** How much of an error answer is read for its message; the rest is dropped with the connection. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** An answer over {@link MAX_ANSWER_BYTES}: a bad answer of this model (`invalid_output`: no retry, next model). */
export function answerTooLarge(limitBytes: number): ProviderError {
  return new ProviderError('invalid_output', `the upstream answer exceeds ${limitBytes / MIB} MiB`);
}

export interface BodyBytes {
  bytes: Buffer;
  /** false when the body was longer than the limit: `bytes` is its head, the rest was not read */
  complete: boolean;
}

/**
 * Reads a body up to `limitBytes`. A body that ends is fully read (so its connection is reused);
 * one longer than the limit is destroyed after its head (its connection closes). Rejects when the
 * body fails (connection reset, abort by the request's signal) or closes before its end.
 */
export function readBody(body: Readable, limitBytes: number): Promise<BodyBytes> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (): void => {
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', onError);
      body.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      if (size + chunk.length > limitBytes) {
        chunks.push(chunk.subarray(0, limitBytes - size));
        size = limitBytes;
        done();
        discard(body);
        resolve({ bytes: Buffer.concat(chunks, size), complete: false });
        return;
      }
      chunks.push(chunk);
      size += chunk.length;
    };
    const onEnd = (): void => {
      done();
      resolve({ bytes: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size), complete: true });
    };
    const onError = (err: Error): void => {
      done();
      reject(err);
    };
    const onClose = (): void => {
      done();
      reject(new Error('terminated: the upstream answer closed before its end'));
    };
    body.on('data', onData);
    body.on('end', onEnd);
    body.on('error', onError);
    body.on('close', onClose);
  });
}

/**
 * A whole JSON answer, parsed. Over `limitBytes` (announced by `content-length`, or read) it
 * throws {@link answerTooLarge}; a body that is not JSON throws the parser's SyntaxError.
 */
export async function readJson<T>(
  body: Readable,
  headers: IncomingHttpHeaders,
  limitBytes = MAX_ANSWER_BYTES,
): Promise<T> {
  const declared = headers['content-length'];
  if (declared !== undefined && Number(declared) > limitBytes) {
    discard(body);
    throw answerTooLarge(limitBytes);
  }
  const { bytes, complete } = await readBody(body, limitBytes);
  if (!complete) throw answerTooLarge(limitBytes);
  return JSON.parse(bytes.toString('utf8')) as T;
}

/**
 * Drops a body not read to its end: its connection closes. undici's body fails with an abort
 * error when destroyed early, which must not go unheard (an unhandled stream error ends the process).
 */
export function discard(body: Readable): void {
  body.on('error', ignore);
  body.destroy();
}

function ignore(): void {}

/** The head of an error answer as text; a body that fails mid-way gives the failure's message instead. */
export async function readErrorText(body: Readable): Promise<string> {
  try {
    return (await readBody(body, MAX_ERROR_BODY_BYTES)).bytes.toString('utf8');
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
