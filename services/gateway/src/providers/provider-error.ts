/**
 * The error taxonomy of one upstream attempt. Providers normalize their SDK's errors into a
 * ProviderError; the chain decides retry / fallback from `errorClass` alone.
 */
export type ErrorClass =
  | 'rate_limited'
  | 'server_error'
  | 'timeout'
  | 'network'
  | 'bad_request'
  | 'auth'
  | 'not_found'
  | 'invalid_output'
  | 'circuit_open'
  | 'truncated'
  | 'cancelled';

export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  constructor(
    readonly errorClass: ErrorClass,
    message: string,
    readonly httpStatus?: number,
    /** From `retry-after-ms` / `retry-after`, when the upstream sent one. */
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A header bag: the fetch `Headers` both SDKs expose. */
export interface HeaderLookup {
  get(name: string): string | null;
}

const MAX_RETRY_AFTER_MS = 24 * 3600 * 1000;

/** `retry-after-ms` (OpenAI), else `retry-after` in seconds or as an HTTP date; undefined if absent or unparseable. */
export function parseRetryAfterMs(headers: HeaderLookup | undefined, nowMs: number): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '' && Number.isFinite(Number(ms)) && Number(ms) >= 0) {
    return Math.min(Number(ms), MAX_RETRY_AFTER_MS);
  }
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds))
    return seconds >= 0 ? Math.min(seconds * 1000, MAX_RETRY_AFTER_MS) : undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.min(Math.max(0, date - nowMs), MAX_RETRY_AFTER_MS);
}

/** The class of an HTTP error status. */
export function classifyStatus(status: number): ErrorClass {
  if (status === 429) return 'rate_limited';
  if (status === 408) return 'timeout';
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'not_found';
  if (status >= 500 || status === 409) return 'server_error';
  return 'bad_request';
}

/**
 * Normalizes anything an SDK call threw. Duck-typed on `status` / `headers` rather than
 * `instanceof`, since undici's errors come from another realm under Jest and both SDKs
 * (Stainless-generated) share the APIError shape. Without a status it is a transport failure
 * (connection refused or reset, body cut: `TypeError: terminated`). Aborts by our own signal
 * are reclassified by the caller, which knows why it aborted.
 */
export function toProviderError(err: unknown, nowMs: number): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = err as { status?: unknown; headers?: unknown; message?: unknown } | null;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  if (typeof e?.status === 'number') {
    return statusError(e.status, message, isHeaderLookup(e.headers) ? e.headers : undefined, nowMs, err);
  }
  return new ProviderError('network', message, undefined, undefined, { cause: err });
}

/** The error of an HTTP error answer: its class, and the wait it asked for when a retry may follow. */
export function statusError(
  status: number,
  message: string,
  headers: HeaderLookup | undefined,
  nowMs: number,
  cause?: unknown,
): ProviderError {
  const errorClass = classifyStatus(status);
  const retryAfterMs =
    errorClass === 'rate_limited' || errorClass === 'server_error'
      ? parseRetryAfterMs(headers, nowMs)
      : undefined;
  return new ProviderError(
    errorClass,
    message,
    status,
    retryAfterMs,
    cause === undefined ? undefined : { cause },
  );
}

function isHeaderLookup(h: unknown): h is HeaderLookup {
  return typeof h === 'object' && h !== null && typeof (h as HeaderLookup).get === 'function';
}
