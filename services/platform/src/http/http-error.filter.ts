import { randomUUID } from 'node:crypto';
import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { ErrorBody } from '@flywheel/contracts';
import type { FastifyReply } from 'fastify';
import { COMMON_ERROR_STATUS, DomainError } from './domain-error';

/** Fastify's own client errors (body parser, limits) → our codes. */
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_request',
};

const STATUS_CODES: Record<number, string> = {
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
 * One place that turns any thrown value into the error body of DESIGN.md:
 * DomainError → its code's status; Nest/Fastify client errors → 4xx with a code; anything
 * else → 500 with an `error_id` that is logged with the cause and never echoes internals.
 */
export function mapError(
  err: unknown,
  statusByCode: Record<string, number>,
  log: (msg: string, err: unknown) => void,
): MappedError {
  if (err instanceof DomainError) {
    const status = statusByCode[err.code] ?? COMMON_ERROR_STATUS[err.code] ?? 400;
    if (status >= 500) return { ...internal(err, log, status, err.code, err.message), headers: err.headers };
    return {
      status,
      headers: err.headers,
      body: {
        error: {
          type: err.code,
          message: err.message,
          ...(err.details === undefined ? {} : { details: err.details }),
        },
      },
    };
  }
  const fastifyCode = (err as { code?: unknown })?.code;
  if (typeof fastifyCode === 'string' && FASTIFY_CODES[fastifyCode]) {
    const type = FASTIFY_CODES[fastifyCode]!;
    const status = COMMON_ERROR_STATUS[type]!;
    const message = type === 'invalid_json' ? 'request body is not valid JSON' : (err as Error).message;
    return { status, body: { error: { type, message } } };
  }
  if (err instanceof HttpException) {
    const status = err.getStatus();
    if (status < 500) {
      // Nest wraps Fastify's body-parser errors in HttpExceptions that keep only the message.
      const type = /not valid JSON|empty.*body/i.test(err.message)
        ? 'invalid_json'
        : (STATUS_CODES[status] ?? 'invalid_request');
      const message = status === 404 ? 'no such endpoint' : err.message;
      return { status, body: { error: { type, message } } };
    }
  }
  const clientStatus = (err as { statusCode?: unknown })?.statusCode;
  if (typeof clientStatus === 'number' && clientStatus >= 400 && clientStatus < 500) {
    return {
      status: clientStatus,
      body: {
        error: { type: STATUS_CODES[clientStatus] ?? 'invalid_request', message: (err as Error).message },
      },
    };
  }
  return internal(err, log, 500, 'internal_error', 'internal error');
}

function internal(
  err: unknown,
  log: (msg: string, err: unknown) => void,
  status: number,
  type: string,
  message: string,
): MappedError {
  const errorId = randomUUID();
  log(`error_id=${errorId}`, err);
  return { status, body: { error: { type, message, error_id: errorId } } };
}

@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrorFilter');

  constructor(private readonly statusByCode: Record<string, number> = {}) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const mapped = mapError(exception, this.statusByCode, (msg, err) =>
      this.logger.error(`${msg} ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
    );
    if (reply.sent) return;
    if (mapped.headers) void reply.headers(mapped.headers);
    void reply
      .status(mapped.status)
      .header('content-type', 'application/json; charset=utf-8')
      .send(mapped.body);
  }
}
