/**
 * `npm run infra:up | infra:down`, or `tsx infra/local/cli.ts up | down | status`.
 * `up` starts Kafka, Redis and Postgres detached (they outlive this command), records them in
 * .flywheel/infra/state.json and prints `export` lines on stdout (everything else goes to
 * stderr), so `eval "$(npm run -s infra:up)"` sets up a shell.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type InfraEnv, startInfra } from './infra';
import { REPO_ROOT } from './paths';
import { isAlive, startTime } from './proc';
import { terminate } from './processes';

const STATE_FILE = path.join(REPO_ROOT, '.flywheel', 'infra', 'state.json');

interface ServerState {
  pid: number;
  /** /proc start time of pid, to tell our process from a later one that reuses the pid. */
  startTime: string;
  dataDir: string;
  /** How to stop it gracefully: postgres wants SIGINT (fast shutdown). */
  stopSignal: NodeJS.Signals;
}

interface State {
  startedAt: string;
  env: InfraEnv;
  servers: Record<'kafka' | 'redis' | 'postgres', ServerState>;
}

function readState(): State | undefined {
  try {
    return JSON.parse(fs.readFileSync(STATE_FILE, 'utf8')) as State;
  } catch {
    return undefined;
  }
}

/** Alive and still the process we started, not a later one that reuses its pid. */
function isRunning(server: ServerState): boolean {
  return isAlive(server.pid) && startTime(server.pid) === server.startTime;
}

function printExports(env: InfraEnv): void {
  for (const [name, value] of Object.entries(env)) console.log(`export ${name}=${value}`);
}

async function up(): Promise<void> {
  const existing = readState();
  if (existing && Object.values(existing.servers).every(isRunning)) {
    console.error(`infra already up since ${existing.startedAt} (${STATE_FILE})`);
    printExports(existing.env);
    return;
  }
  if (existing) await down(); // partly dead: start over
  console.error('starting Kafka, Redis and Postgres...');
  const infra = await startInfra({ detached: true, ignoreEnv: true });
  const entry = (pid: number | undefined, dataDir: string | undefined, stopSignal: NodeJS.Signals) => {
    const started = pid === undefined ? undefined : startTime(pid);
    if (pid === undefined || started === undefined || dataDir === undefined) {
      throw new Error('a server stopped right after starting');
    }
    return { pid, startTime: started, dataDir, stopSignal };
  };
  const state: State = {
    startedAt: new Date().toISOString(),
    env: infra.env,
    servers: {
      kafka: entry(infra.kafka.pid, infra.kafka.dataDir, 'SIGTERM'),
      redis: entry(infra.redis.pid, infra.redis.dataDir, 'SIGTERM'),
      postgres: entry(infra.postgres.pid, infra.postgres.dataDir, 'SIGINT'),
    },
  };
  fs.mkdirSync(path.dirname(STATE_FILE), { recursive: true });
  fs.writeFileSync(STATE_FILE, `${JSON.stringify(state, null, 2)}\n`);
  const { kafka, redis, postgres } = infra.startupMs;
  console.error(
    `ready: kafka ${kafka} ms, redis ${redis} ms, postgres ${postgres} ms; stop with npm run infra:down`,
  );
  printExports(infra.env);
}

async function down(): Promise<void> {
  const state = readState();
  if (!state) {
    console.error('infra is not up (no state file)');
    return;
  }
  await Promise.all(
    Object.entries(state.servers).map(async ([name, server]) => {
      if (isRunning(server)) await terminate(server.pid, server.stopSignal);
      fs.rmSync(server.dataDir, { recursive: true, force: true });
      console.error(`${name}: stopped, ${server.dataDir} removed`);
    }),
  );
  fs.rmSync(STATE_FILE, { force: true });
}

function status(): boolean {
  const state = readState();
  if (!state) {
    console.log('infra is not up');
    return false;
  }
  const urls = {
    kafka: state.env.KAFKA_BROKERS,
    redis: state.env.REDIS_URL,
    postgres: state.env.DATABASE_URL,
  };
  for (const [name, server] of Object.entries(state.servers)) {
    const what = isRunning(server) ? `running (pid ${server.pid})` : 'NOT running';
    console.log(`${name.padEnd(8)} ${what.padEnd(22)} ${urls[name as keyof typeof urls]}`);
  }
  return Object.values(state.servers).every(isRunning);
}

async function main(command: string | undefined): Promise<number> {
  switch (command) {
    case 'up':
      await up();
      return 0;
    case 'down':
      await down();
      return 0;
    case 'status':
      return status() ? 0 : 1;
    default:
      console.error('usage: tsx infra/local/cli.ts up | down | status');
      return 2;
  }
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
