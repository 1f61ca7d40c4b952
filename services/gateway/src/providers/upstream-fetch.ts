import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { Agent, type Dispatcher } from 'undici';
import { answerTooLarge, discard, MAX_ANSWER_BYTES, MAX_ERROR_BODY_BYTES, readBody } from './upstream-body';

/** The subset of `fetch` the SDKs call: a URL string and a RequestInit. */
export type UpstreamFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Where a provider posts (origin and path of one endpoint URL), parsed once at boot. */
export interface UpstreamTarget {
  readonly origin: string;
  readonly path: string;
}

/** undici's answer: status, headers (lower-case names) and the body stream, which the caller must consume or destroy. */
export type UpstreamAnswer = Pick<Dispatcher.ResponseData, 'statusCode' | 'headers' | 'body'>;

/** One POST of a request body (JSON text) to `target` with the given headers. */
export type UpstreamPost = (
  target: UpstreamTarget,
  headers: Readonly<Record<string, string>>,
  body: string,
  signal: AbortSignal,
) => Promise<UpstreamAnswer>;

export function upstreamTarget(url: string): UpstreamTarget {
  const { origin, pathname, search } = new URL(url);
  return { origin, path: pathname + search };
}

/** Timeouts of the connection pool; the gateway's attempt timeout and deadline come first. */
const HEADERS_TIMEOUT_MS = 300_000;
const BODY_TIMEOUT_MS = 300_000;

/**
 * The gateway's one keep-alive connection pool to the upstreams (undici's `request()`), with two
 * entry points: `post`, for providers that speak HTTP themselves (`kind: openai`), and `fetch`,
 * given to the `@anthropic-ai/sdk` client (its documented `fetch` option), answered with a minimal
 * Response. Node 20's WHATWG fetch costs about 0.5 ms of CPU per call (Request and Response
 * objects, web streams, a WASM HTTP parser), more than the rest of the gateway's hot path;
 * `request()` costs under 0.1 ms. The SDKs read `status`, `ok`, `headers`, `json()`,
 * `text()` and `body` (async-iterated for SSE, which a Node stream is); redirects are not
 * followed (LLM APIs answer POSTs directly). Bodies other than a string (uploads) go to the
 * global fetch.
 *
 * Answers are bounded as the gateway's own provider bounds them (upstream-body.ts): `json()`,
 * `text()` and `arrayBuffer()` of a 2xx read at most MAX_ANSWER_BYTES (an answer announced or
 * found larger is an `invalid_output` ProviderError, its connection closed after the head); of an
 * error status, the first MAX_ERROR_BODY_BYTES (the SDK builds its error from them); a streamed
 * `body` fails the same way on a line (one server-sent event field) longer than MAX_ANSWER_BYTES,
 * which an SDK's line decoder would otherwise buffer without end.
 */
export class UpstreamHttp {
  private readonly agent = new Agent({ headersTimeout: HEADERS_TIMEOUT_MS, bodyTimeout: BODY_TIMEOUT_MS });

  /** No Request, Response, web stream or header copy: the provider reads undici's answer directly. */
  readonly post: UpstreamPost = (target, headers, body, signal) =>
    this.agent.request({ origin: target.origin, path: target.path, method: 'POST', headers, body, signal });

  readonly fetch: UpstreamFetch = async (input, init = {}) => {
    const body = init.body;
    if (input instanceof Request || (body !== undefined && body !== null && typeof body !== 'string')) {
      return globalThis.fetch(input, init);
    }
    const url = String(input);
    const { origin, path } = this.target(url);
    const res = await this.agent.request({
      origin,
      path,
      method: (init.method ?? 'GET') as 'GET',
      headers: headerRecord(init.headers),
      body: body ?? undefined,
      signal: init.signal ?? undefined,
    });
    const headers = new ResponseHeaders(res.headers);
    const stream = res.body;
    const status = res.statusCode;
    const ok = status >= 200 && status < 300;
    const bytes = async (): Promise<Buffer> => {
      if (!ok) return (await readBody(stream, MAX_ERROR_BODY_BYTES)).bytes;
      const declared = res.headers['content-length'];
      if (declared !== undefined && Number(declared) > MAX_ANSWER_BYTES) {
        discard(stream);
        throw answerTooLarge(MAX_ANSWER_BYTES);
      }
      const read = await readBody(stream, MAX_ANSWER_BYTES);
      if (!read.complete) throw answerTooLarge(MAX_ANSWER_BYTES);
      return read.bytes;
    };
    // made on first access, read only if iterated (the SDK also takes `body` as a key for a
    // FinalizationRegistry before calling json()); destroying it destroys the answer's stream
    let lines: Readable | undefined;
    const linesOf = (): Readable => {
      if (!lines) {
        lines = Readable.from(boundedLines(stream, MAX_ANSWER_BYTES), { objectMode: false });
        lines.once('close', () => {
          if (!stream.readableEnded) discard(stream);
        });
      }
      return lines;
    };
    const response = {
      status,
      ok,
      statusText: '',
      url,
      redirected: false,
      headers,
      get bodyUsed() {
        return stream.bodyUsed;
      },
      get body() {
        return linesOf();
      },
      json: async () => JSON.parse((await bytes()).toString('utf8')) as unknown,
      text: async () => (await bytes()).toString('utf8'),
      arrayBuffer: async () => {
        const b = await bytes();
        return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
      },
    };
    // a structural Response: everything the SDKs touch, without the WHATWG machinery
    return response as unknown as Response;
  };

  close(): Promise<void> {
    return this.agent.close();
  }

  /** origin and path of an upstream URL; the SDKs call a handful of URLs, parsed once each */
  private target(url: string): UpstreamTarget {
    let t = this.targets.get(url);
    if (t === undefined) {
      t = upstreamTarget(url);
      if (this.targets.size >= MAX_TARGETS) this.targets.clear();
      this.targets.set(url, t);
    }
    return t;
  }

  private readonly targets = new Map<string, UpstreamTarget>();
}

/** The chunks of `source` as they come; fails once a line (bytes since the last `\n`) outgrows `limit`. */
async function* boundedLines(source: Readable, limit: number): AsyncGenerator<Buffer> {
  let line = 0;
  for await (const chunk of source as AsyncIterable<Buffer>) {
    const nl = chunk.lastIndexOf(0x0a);
    line = nl === -1 ? line + chunk.length : chunk.length - nl - 1;
    if (line > limit) throw answerTooLarge(limit);
    yield chunk;
  }
}

/** URLs whose parse is kept (more means query strings vary: the cache starts over) */
const MAX_TARGETS = 256;

/**
 * The response headers as the SDKs read them (`get`, `has`, `entries()` and iteration), over
 * undici's header record (lower-case names) instead of a WHATWG Headers, which copies, validates
 * and sorts them: the SDKs iterate them on every call (for `x-request-id` in their log line).
 */
export class ResponseHeaders {
  constructor(private readonly raw: IncomingHttpHeaders) {}

  get(name: string): string | null {
    const v = this.raw[name.toLowerCase()];
    return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
  }

  has(name: string): boolean {
    return this.raw[name.toLowerCase()] !== undefined;
  }

  *entries(): IterableIterator<[string, string]> {
    for (const name of Object.keys(this.raw)) {
      const v = this.get(name);
      if (v !== null) yield [name, v];
    }
  }

  *keys(): IterableIterator<string> {
    for (const [name] of this.entries()) yield name;
  }

  *values(): IterableIterator<string> {
    for (const [, value] of this.entries()) yield value;
  }

  forEach(fn: (value: string, name: string) => void): void {
    for (const [name, value] of this.entries()) fn(value, name);
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
}

function headerRecord(init: RequestInit['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  if (!init) return out;
  (init instanceof Headers ? init : new Headers(init)).forEach((value, name) => (out[name] = value));
  return out;
}
