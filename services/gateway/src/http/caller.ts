import { randomUUID } from 'node:crypto';
import { activeTraceId, DomainError } from '@flywheel/platform';
import type { IncomingHttpHeaders } from 'node:http';
import type { CallerRole } from '../auth/api-keys';

/** Who is calling and in what context: what rollout, events and tokens need from a request. */
export interface Caller {
  role: CallerRole;
  /** the targeting key: body `user`, else header `x-flywheel-user`, else a random one */
  targetingKey: string;
  /** true when the caller sent no targeting key */
  subjectGenerated: boolean;
  app?: string;
  tenant?: string;
  /** `x-flywheel-ctx-<name>: value` headers, as `<name>: value` flag-context attributes */
  attributes: Record<string, string>;
  /** `x-flywheel-variant` from an admin */
  forcedVariant?: string;
  /** the trace id of a W3C `traceparent` header */
  traceId?: string;
}

const CTX_PREFIX = 'x-flywheel-ctx-';
const MAX_LABEL = 128;
const MAX_TARGETING_KEY = 512;
const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}/;
const ZERO_TRACE = '0'.repeat(32);

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function label(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = header(headers, name);
  if (value === undefined || value === '') return undefined;
  if (value.length > MAX_LABEL) {
    throw new DomainError('invalid_request', `${name}: at most ${MAX_LABEL} characters`, {
      issues: [{ path: `headers.${name}`, message: `at most ${MAX_LABEL} characters` }],
    });
  }
  return value;
}

/**
 * Reads the caller's context from the request headers (and the body's `user`). Throws 403
 * `forbidden` when a non-admin tries to force a variant, 400 for an over-long header value.
 */
export function callerFrom(
  headers: IncomingHttpHeaders,
  bodyUser: string | null | undefined,
  role: CallerRole,
): Caller {
  const forced = header(headers, 'x-flywheel-variant');
  if (forced !== undefined && role !== 'admin') {
    throw new DomainError('forbidden', 'only the admin token may force a variant (x-flywheel-variant)');
  }
  let targetingKey = bodyUser ?? header(headers, 'x-flywheel-user');
  if (targetingKey !== undefined && targetingKey.length > MAX_TARGETING_KEY) {
    throw new DomainError('invalid_request', `x-flywheel-user: at most ${MAX_TARGETING_KEY} characters`, {
      issues: [{ path: 'headers.x-flywheel-user', message: `at most ${MAX_TARGETING_KEY} characters` }],
    });
  }
  const subjectGenerated = targetingKey === undefined || targetingKey === '';
  if (subjectGenerated) targetingKey = randomUUID();

  const attributes = Object.create(null) as Record<string, string>;
  for (const name in headers) {
    if (name.length > CTX_PREFIX.length && name.startsWith(CTX_PREFIX)) {
      const value = header(headers, name);
      if (value !== undefined) attributes[name.slice(CTX_PREFIX.length)] = value;
    }
  }

  const caller: Caller = {
    role,
    targetingKey: targetingKey as string,
    subjectGenerated,
    attributes,
  };
  const app = label(headers, 'x-flywheel-app');
  if (app !== undefined) caller.app = app;
  const tenant = label(headers, 'x-flywheel-tenant');
  if (tenant !== undefined) caller.tenant = tenant;
  if (forced !== undefined) caller.forcedVariant = forced;
  const traceparent = header(headers, 'traceparent');
  if (traceparent !== undefined) {
    const traceId = TRACEPARENT.exec(traceparent)?.[1];
    if (traceId !== undefined && traceId !== ZERO_TRACE) caller.traceId = traceId;
  }
  // with tracing on, the request's span (which continued any incoming traceparent) is the truth
  const activeTrace = activeTraceId();
  if (activeTrace !== undefined) caller.traceId = activeTrace;
  return caller;
}
