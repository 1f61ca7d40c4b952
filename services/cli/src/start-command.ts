import { parseArgs } from 'node:util';
import { createLogger, untilSignal, useProcessLogger } from '@flywheel/platform';
import type { Tracing } from '@flywheel/platform/tracing';
import { SERVICES, type ServiceName, start } from './start';

export const START_USAGE = `usage: flywheel start [--only <service>]

Runs every Flywheel component in this process on embedded defaults (KAFKA_BROKERS, REDIS_URL and
DATABASE_URL switch to real backends). With --only, runs one service configured by its
environment alone, as a container does: ${SERVICES.join(', ')}.

SIGTERM or SIGINT drains: /readyz answers 503, in-flight requests and streams finish, the event
spool is flushed, and the process exits (forced after FLYWHEEL_SHUTDOWN_TIMEOUT_MS, default 25000).
`;

const isService = (name: string): name is ServiceName => (SERVICES as readonly string[]).includes(name);

/** `flywheel start`: runs until SIGTERM/SIGINT, then stops gracefully within the deadline. */
export async function startCommand(args: string[], tracing: Tracing): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { only: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(START_USAGE);
    return 0;
  }
  if (values.only !== undefined && !isService(values.only)) {
    process.stderr.write(`flywheel start: --only must be one of ${SERVICES.join(', ')}\n`);
    return 2;
  }
  const only = values.only;
  const logger = createLogger({ service: only ?? 'flywheel' });
  useProcessLogger(logger);
  // the all-in-one banner is for a person at a terminal; a single service logs JSON
  const log = only ? (line: string) => logger.info(line) : (line: string) => console.log(line);
  const running = await start({ env: process.env, log, only });

  const signal = await untilSignal();
  const timeoutMs = Number(process.env.FLYWHEEL_SHUTDOWN_TIMEOUT_MS ?? 25_000);
  logger.info(
    { signal, timeout_ms: timeoutMs },
    'draining: finishing in-flight requests, flushing the event spool',
  );
  const startedAt = Date.now();
  const force = setTimeout(() => {
    logger.error({ timeout_ms: timeoutMs }, 'shutdown deadline passed: exiting with work unfinished');
    process.exit(1);
  }, timeoutMs);
  force.unref();
  await running.stop();
  await tracing.shutdown().catch(() => undefined);
  clearTimeout(force);
  logger.info({ ms: Date.now() - startedAt }, 'stopped');
  return 0;
}
