/**
 * A failure the caller can act on, with a stable string code and no HTTP in it. Each
 * transport maps codes to its own status (HttpErrorFilter for HTTP). `details` is safe to
 * show to the caller (field paths, validation errors); never put internals in it.
 */
export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: string,
    message: string,
    readonly details?: unknown,
    /** extra response headers, e.g. Retry-After */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

/** Codes every service shares. Services add their own, each with a `Record<Code, number>` map. */
export type CommonErrorCode =
  | 'invalid_request'
  | 'invalid_json'
  | 'unauthorized'
  | 'token_expired'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'unavailable'
  | 'overloaded'
  | 'headers_too_large'
  | 'internal_error';

/** The HTTP status of each common code. */
export const COMMON_ERROR_STATUS = {
  invalid_request: 400,
  invalid_json: 400,
  unauthorized: 401,
  token_expired: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  unavailable: 503,
  overloaded: 503,
  headers_too_large: 431,
  internal_error: 500,
} as const satisfies Record<CommonErrorCode, number>;
