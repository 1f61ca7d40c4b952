import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { Agent } from 'undici';

/** The subset of `fetch` the SDKs call: a URL string and a RequestInit. */
export type UpstreamFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Timeouts of the connection pool; the gateway's attempt timeout and deadline come first. */
const HEADERS_TIMEOUT_MS = 300_000;
const BODY_TIMEOUT_MS = 300_000;

/**
 * The `fetch` given to the `openai` and `@anthropic-ai/sdk` clients (their documented `fetch`
 * option): undici's `request()` on one keep-alive connection pool, answered with a minimal
 * Response. Node 20's WHATWG fetch costs about 0.5 ms of CPU per call (Request and Response
 * objects, web streams, a WASM HTTP parser), more than the rest of the gateway's hot path;
 * `request()` costs under 0.1 ms. The SDKs read `status`, `ok`, `headers`, `json()`,
 * `text()` and `body` (async-iterated for SSE, which a Node stream is); redirects are not
 * followed (LLM APIs answer POSTs directly). Bodies other than a string (uploads) go to the
 * global fetch.
 */
export class UpstreamHttp {
  private readonly agent = new Agent({ headersTimeout: HEADERS_TIMEOUT_MS, bodyTimeout: BODY_TIMEOUT_MS });

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
    const response = {
      status,
      ok: status >= 200 && status < 300,
      statusText: '',
      url,
      redirected: false,
      headers,
      get bodyUsed() {
        return stream.bodyUsed;
      },
      body: stream as Readable,
      json: () => stream.json(),
      text: () => stream.text(),
      arrayBuffer: () => stream.arrayBuffer(),
    };
    // a structural Response: everything the SDKs touch, without the WHATWG machinery
    return response as unknown as Response;
  };

  close(): Promise<void> {
    return this.agent.close();
  }

  /** origin and path of an upstream URL; the SDKs call a handful of URLs, parsed once each */
  private target(url: string): { origin: string; path: string } {
    let t = this.targets.get(url);
    if (t === undefined) {
      const { origin, pathname, search } = new URL(url);
      t = { origin, path: pathname + search };
      if (this.targets.size >= MAX_TARGETS) this.targets.clear();
      this.targets.set(url, t);
    }
    return t;
  }

  private readonly targets = new Map<string, { origin: string; path: string }>();
}

/** URLs whose parse is kept (more means query strings vary: the cache starts over) */
const MAX_TARGETS = 256;

/**
 * The response headers as the SDKs read them (`get`, `has`, `entries()` and iteration), over
 * undici's header record (lower-case names) instead of a WHATWG Headers, which copies, validates
 * and sorts them: the SDKs iterate them on every call (for `x-request-id` in their log line).
 */
class ResponseHeaders {
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
