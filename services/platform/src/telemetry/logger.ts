import type { LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Logger } from 'pino';

/** Object keys whose values never reach a log line, at any of the first three levels. */
const SECRET_KEYS = [
  'authorization',
  'cookie',
  'token',
  'feedback_token',
  'apiKey',
  'api_key',
  'adminToken',
  'secret',
  'password',
  'x-api-key',
];
const REDACT_PATHS = SECRET_KEYS.flatMap((k) => {
  const key = /^[A-Za-z_$][\w$]*$/.test(k) ? k : `["${k}"]`;
  const dotted = key.startsWith('[') ? key : `.${key}`;
  return [key, `*${dotted}`, `*.*${dotted}`];
});

/** Credentials that can hide inside free text (error messages, URLs). */
const SECRET_TEXT: [RegExp, string][] = [
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [REDACTED]'],
  [/\bsk-(?:ant-)?[A-Za-z0-9_-]{16,}/g, '[REDACTED]'],
  // feedback tokens: base64url(payload).base64url(mac)
  [/\b[A-Za-z0-9_-]{40,}\.[A-Za-z0-9_-]{43}\b/g, '[REDACTED]'],
];

const knownSecrets = new Set<string>();

/**
 * Adds a secret value (an API key, the admin token…) that must never appear in a log line,
 * even inside a message string. Values shorter than 8 characters are ignored.
 */
export function registerLogSecret(value: string | undefined): void {
  if (value && value.length >= 8) knownSecrets.add(value);
}

/** Masks credentials in free text. */
export function scrubSecrets(text: string): string {
  let out = text;
  for (const secret of knownSecrets) if (out.includes(secret)) out = out.split(secret).join('[REDACTED]');
  for (const [pattern, replacement] of SECRET_TEXT) out = out.replace(pattern, replacement);
  return out;
}

export interface LoggerOptions {
  /** `service` field of every line */
  service: string;
  /** LOG_LEVEL (default info) */
  level?: string;
  /** where lines go (default stdout); tests pass a stream */
  destination?: DestinationStream;
}

/**
 * Structured JSON logs (pino): one line per event with `service`, `level`, `time`, `msg`.
 * Secret-named fields are replaced by `[REDACTED]` and known secrets, bearer credentials and
 * feedback tokens are masked inside messages.
 */
export function createLogger({ service, level, destination }: LoggerOptions): Logger {
  return pino(
    {
      level: level ?? process.env.LOG_LEVEL ?? 'info',
      base: { service },
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      hooks: {
        logMethod(args, method) {
          method.apply(
            this,
            args.map((a) => (typeof a === 'string' ? scrubSecrets(a) : a)) as Parameters<typeof method>,
          );
        },
      },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

let processLogger: Logger | undefined;

/**
 * The logger of this process: set once by an entry point (`flywheel start` names it after the
 * process, a single-service `main.ts` after the service); else one named after `service`.
 */
export function useProcessLogger(logger: Logger): void {
  processLogger = logger;
}

export function getProcessLogger(service: string): Logger {
  return (processLogger ??= createLogger({ service }));
}

/** Nest's own boot chatter (module init, route mapping) is debug, not info. */
const FRAMEWORK_CONTEXTS = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestApplication',
]);

/** NestJS's logger interface over pino, so framework and `new Logger(ctx)` lines are JSON too. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    const context = rest.at(-1);
    this.write(
      typeof context === 'string' && FRAMEWORK_CONTEXTS.has(context) ? 'debug' : 'info',
      message,
      rest,
    );
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  /** Nest passes optional params: for error(), (stack?, context?); for others, (context?). */
  private write(level: pino.Level, message: unknown, rest: unknown[]): void {
    const context = typeof rest.at(-1) === 'string' ? (rest.at(-1) as string) : undefined;
    const stack = level === 'error' && rest.length > 1 && typeof rest[0] === 'string' ? rest[0] : undefined;
    const fields: Record<string, unknown> = {};
    if (context) fields.context = context;
    if (stack) fields.stack = scrubSecrets(stack);
    if (message instanceof Error) {
      fields.err = message;
      this.logger[level](fields, scrubSecrets(message.message));
    } else if (typeof message === 'object' && message !== null) {
      this.logger[level]({ ...fields, ...(message as object) });
    } else {
      this.logger[level](fields, scrubSecrets(String(message)));
    }
  }
}
