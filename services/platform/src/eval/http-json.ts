import { ErrorBody } from '@flywheel/contracts';
import type { z } from 'zod';

/** The one way the CLI talks HTTP to Flywheel services: fetch, a bearer token, a deadline. */

export interface HttpReply {
  status: number;
  /** the body text */
  text: string;
  headers: Headers;
}

export interface HttpRequest {
  method?: 'GET' | 'POST';
  token: string;
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs: number;
}

export interface ServiceOptions {
  /** base URL, e.g. http://127.0.0.1:8080 */
  url: string;
  /** sent as `Authorization: Bearer`; never printed */
  token: string;
  /** per call */
  timeoutMs: number;
}

/** One Flywheel service at a base URL, called with one token. */
export class Service {
  private readonly base: string;

  constructor(private readonly options: ServiceOptions) {
    this.base = options.url.replace(/\/+$/, '');
  }

  send(
    method: 'GET' | 'POST',
    path: string,
    { body, headers }: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<HttpReply> {
    const { token, timeoutMs } = this.options;
    return request(`${this.base}${path}`, { method, token, body, headers, timeoutMs });
  }
}

/** The service could not be reached or did not answer in time (no HTTP status). */
export class TransportError extends Error {
  override readonly name = 'TransportError';
}

export async function request(url: string, req: HttpRequest): Promise<HttpReply> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: req.method ?? (req.body === undefined ? 'GET' : 'POST'),
      headers: {
        authorization: `Bearer ${req.token}`,
        ...(req.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...req.headers,
      },
      body: req.body === undefined ? undefined : JSON.stringify(req.body),
      signal: AbortSignal.timeout(req.timeoutMs),
    });
    return { status: res.status, text: await res.text(), headers: res.headers };
  } catch (err) {
    throw new TransportError(`${describeUrl(url)}: ${transportCause(err, req.timeoutMs)}`);
  }
}

function transportCause(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}

/** `POST http://host:port/path` without query: what an error message may show. */
function describeUrl(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

/** The `{error: {type, message}}` of a Flywheel error answer, if it is one. */
export function errorOf(reply: HttpReply): ErrorBody['error'] | undefined {
  try {
    const parsed = ErrorBody.safeParse(JSON.parse(reply.text));
    return parsed.success ? parsed.data.error : undefined;
  } catch {
    return undefined;
  }
}

/** `HTTP 502 upstream_unavailable: no model could answer` (or the first 200 characters of a foreign body). */
export function describeFailure(reply: HttpReply): string {
  const error = errorOf(reply);
  if (error) return `HTTP ${reply.status} ${error.type}: ${error.message}`;
  const text = reply.text.trim().slice(0, 200);
  return text ? `HTTP ${reply.status}: ${text}` : `HTTP ${reply.status}`;
}

/** Parses a JSON answer body with `schema`, or throws naming what was wrong. */
export function parseBody<T>(reply: HttpReply, schema: z.ZodType<T>, what: string): T {
  let json: unknown;
  try {
    json = JSON.parse(reply.text);
  } catch {
    throw new Error(`${what}: the answer is not JSON`);
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? issue.path.join('.') : '(root)';
  throw new Error(`${what}: unexpected answer (${where}: ${issue?.message ?? 'invalid'})`);
}
