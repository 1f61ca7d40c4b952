import { type IncomingHttpHeaders } from 'node:http';
import { type Completion, type SimRequest } from '../completion';

/** Provider-neutral error; each dialect renders it in its own body format. */
export type SimErrorKind =
  | 'invalid_request'
  | 'authentication'
  | 'not_found'
  | 'too_large'
  | 'rate_limit'
  | 'server'
  | 'unavailable'
  | 'overloaded';

export interface SimError {
  status: number;
  kind: SimErrorKind;
  message: string;
  /** The offending request field, e.g. `messages` or `max_tokens`. */
  param?: string;
  /** OpenAI's machine-readable code, e.g. `model_not_found`. */
  code?: string;
}

export function isSimError<T extends object>(x: T | SimError): x is SimError {
  return 'kind' in x && 'status' in x;
}

/** Identifiers and timestamps a response carries; counters, so two runs give the same ids. */
export interface ResponseIds {
  seq: number;
  /** Unix seconds. */
  created: number;
}

export interface SseScript {
  /** Complete SSE events, already encoded (`data: …\n\n`, Anthropic with `event:` lines). */
  events: string[];
  /** `sim-cutstream` sends events[0, cutAfter) — a few tokens, never the final event. */
  cutAfter: number;
}

/** One provider's wire format; the server is provider-agnostic and picks a dialect per path. */
export interface Dialect {
  readonly name: 'openai' | 'anthropic';
  readonly requestIdHeader: string;
  hasApiKey(headers: IncomingHttpHeaders): boolean;
  /** Maps a parsed JSON body to a SimRequest, or says which field is wrong. */
  parse(body: unknown): SimRequest | SimError;
  errorBody(err: SimError, requestId: string): object;
  message(req: SimRequest, c: Completion, ids: ResponseIds): object;
  stream(req: SimRequest, c: Completion, ids: ResponseIds): SseScript;
  models(ids: readonly string[]): object;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function invalid(message: string, param?: string): SimError {
  return { status: 400, kind: 'invalid_request', message, param };
}

/** Text of a message `content`: a string, or the `text` of each part / block, joined. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  const parts: string[] = [];
  for (const part of content) {
    if (!isRecord(part)) continue;
    if (typeof part.text === 'string') parts.push(part.text);
    else if (part.type === 'tool_result') parts.push(contentText(part.content));
    else if (part.type === 'tool_use' && part.input !== undefined) parts.push(JSON.stringify(part.input));
  }
  return parts.join('\n');
}

export function positiveInt(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;
}
