import { randomUUID } from 'node:crypto';
import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { ErrorBody } from '@flywheel/contracts';
import type { FastifyReply } from 'fastify';
import { normalizePath } from '../host/request-gate';
import { COMMON_ERROR_STATUS, type CommonErrorCode, DomainError } from './domain-error';

/** Fastify's own client errors (body parser, limits) → our codes. */
const FASTIFY_CODES: Record<string, CommonErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_request',
};

const STATUS_CODES: Record<number, CommonErrorCode> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

export interface MappedError {
  status: number;
  body: ErrorBody;
  headers?: Record<string, string>;
}

/**
 * One place that turns any thrown value into the error body (docs/architecture.md "Errors"),
 * shaped like OpenAI's so its SDKs fill `err.code` and `err.param`:
 * `{error: {type, code, param, message, details?, error_id?}}` (`type` and `code` are both the
 * stable code string; `param` is the first offending field path of a validation error, else null).
 *
 * What is public: a DomainError's `code`, `message` and `details` are written for the caller
 * (field paths, validation errors, never internals — the DomainError contract), so they are
 * sent at any status; its other fields (e.g. a chain's attempts) and its cause never are. A 5xx
 * also carries an `error_id`, logged with the code. Fastify and Nest client errors → 4xx with a
 * code. Anything else → 500 `internal_error` whose only detail is the `error_id`, logged with
 * the cause's stack.
 */
export function mapError(
  err: unknown,
  statusByCode: Readonly<Record<string, number>>,
  log: (msg: string, err: unknown) => void,
): MappedError {
  if (err instanceof DomainError) {
    const status = statusByCode[err.code] ?? (COMMON_ERROR_STATUS as Record<string, number>)[err.code] ?? 500;
    const mapped = { status, headers: err.headers, body: errorBody(err.code, err.message, err.details) };
    if (status >= 500) {
      const errorId = randomUUID();
      mapped.body.error.error_id = errorId;
      log(`error_id=${errorId} ${err.code}: ${err.message}`, undefined);
    }
    return mapped;
  }
  const fastifyCode = (err as { code?: unknown })?.code;
  if (typeof fastifyCode === 'string' && fastifyCode in FASTIFY_CODES) {
    const code = FASTIFY_CODES[fastifyCode]!;
    const message = code === 'invalid_json' ? 'request body is not valid JSON' : (err as Error).message;
    return { status: COMMON_ERROR_STATUS[code], body: errorBody(code, message) };
  }
  if (err instanceof HttpException) {
    const status = err.getStatus();
    if (status < 500) {
      // Nest wraps Fastify's body-parser errors in HttpExceptions that keep only the message.
      const code = /not valid JSON|empty.*body/i.test(err.message)
        ? 'invalid_json'
        : (STATUS_CODES[status] ?? 'invalid_request');
      return { status, body: errorBody(code, status === 404 ? 'no such endpoint' : err.message) };
    }
  }
  const clientStatus = (err as { statusCode?: unknown })?.statusCode;
  if (typeof clientStatus === 'number' && clientStatus >= 400 && clientStatus < 500) {
    return {
      status: clientStatus,
      body: errorBody(STATUS_CODES[clientStatus] ?? 'invalid_request', (err as Error).message),
    };
  }
  const errorId = randomUUID();
  log(`error_id=${errorId}`, err);
  return {
    status: 500,
    body: { error: { ...errorBody('internal_error', 'internal error').error, error_id: errorId } },
  };
}

function errorBody(code: string, message: string, details?: unknown): ErrorBody {
  return {
    error: {
      type: code,
      code,
      param: paramOf(details),
      message,
      ...(details === undefined ? {} : { details }),
    },
  };
}

/** The first field path of a validation error's `details.issues` (OpenAI's `param`). */
function paramOf(details: unknown): string | null {
  const issues = (details as { issues?: unknown } | undefined)?.issues;
  const path = Array.isArray(issues) ? (issues[0] as { path?: unknown } | undefined)?.path : undefined;
  return typeof path === 'string' && path !== '(root)' ? path : null;
}

/**
 * Another API's error shape for the paths under `prefix` (the gateway's Anthropic-compatible
 * `/v1/messages`): `body` rewrites the mapped error; status and headers stay.
 */
export interface ErrorDialect {
  prefix: string;
  body(mapped: MappedError): unknown;
}

/** The error body for a request to `url`: the mapped one, or its dialect's rewrite. */
export function errorBodyFor(url: string, mapped: MappedError, dialects: readonly ErrorDialect[]): unknown {
  if (dialects.length === 0) return mapped.body;
  const path = normalizePath(url);
  const dialect = path === null ? undefined : dialects.find((d) => path.startsWith(d.prefix));
  return dialect === undefined ? mapped.body : dialect.body(mapped);
}

/** Sends `err` mapped by {@link mapError} unless a reply already went out. */
export function sendMapped(
  reply: FastifyReply,
  err: unknown,
  statusByCode: Readonly<Record<string, number>>,
  log: (msg: string, err: unknown) => void,
  dialects: readonly ErrorDialect[] = [],
): void {
  const mapped = mapError(err, statusByCode, log);
  if (reply.sent) return;
  if (mapped.headers) void reply.headers(mapped.headers);
  void reply
    .status(mapped.status)
    .header('content-type', 'application/json; charset=utf-8')
    .send(errorBodyFor(reply.request.url, mapped, dialects));
}

/** The host's global exception filter: {@link sendMapped} for every error of every route. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrorFilter');

  constructor(
    private readonly statusByCode: Readonly<Record<string, number>> = {},
    private readonly dialects: readonly ErrorDialect[] = [],
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    sendMapped(
      host.switchToHttp().getResponse<FastifyReply>(),
      exception,
      this.statusByCode,
      (msg, err) =>
        this.logger.error(
          err === undefined
            ? msg
            : `${msg} ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
        ),
      this.dialects,
    );
  }
}
