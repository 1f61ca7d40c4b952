import { type PostgresServer, type RedisServer, startPostgres, startRedis } from '../../../infra/local';
import { expectEventually } from '@flywheel/platform/testing';
import { checkLedger } from './checker';
import { Ledger } from './ledger';
import { underLoad } from './load';
import { Stack } from './stack';

/**
 * Faults of the stores: feedback's Redis and the curator's Postgres are private servers this
 * file starts, kills and restarts (Kafka is the shared broker of globalSetup, not killed here).
 * Gateway, feedback and curator run as child processes under steady load; after each fault an
 * independent reader of the topics and the database checks the ledger of answers.
 */
const FAULT_TIMEOUT_MS = 240_000;
const KAFKA_BROKERS = process.env.KAFKA_BROKERS!;
let redis: RedisServer;
let postgres: PostgresServer;
let stack: Stack;

beforeAll(async () => {
  [redis, postgres] = await Promise.all([
    startRedis({ ignoreEnv: true }),
    startPostgres({ ignoreEnv: true }),
  ]);
  stack = await Stack.start({ kafkaBrokers: KAFKA_BROKERS, redisUrl: redis.url, databaseUrl: postgres.url });
}, 360_000);

afterAll(async () => {
  await stack?.stop();
  await Promise.allSettled([redis?.stop(), postgres?.stop()]);
}, 120_000);

const check = (ledger: Ledger, extra: Record<string, unknown> = {}) =>
  checkLedger(ledger, { brokers: KAFKA_BROKERS, databaseUrl: postgres.url, timeoutMs: 90_000, extra });

async function readyz(url: string): Promise<number> {
  try {
    const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5_000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

it(
  'refuses votes with 503 + Retry-After while Redis is down 10 s, and loses none it accepted',
  async () => {
    const ledger = new Ledger('redis down 10 s');
    let refusedWhileDown = 0;
    let votesAfterRestart = 0;
    await underLoad(stack, ledger, { ratePerS: 25, vote: true }, async (load) => {
      await load.for(4_000);
      await redis.kill();
      await load.for(10_000);
      refusedWhileDown = ledger.refusedWith(503);
      await redis.start(); // empty: no persistence, as a cache-only Redis would come back
      const votesBefore = ledger.votes.size;
      // it takes votes again once Redis is back
      await expectEventually(() => expect(ledger.votes.size - votesBefore).toBeGreaterThan(20), {
        timeoutMs: 60_000,
        intervalMs: 100,
      });
      votesAfterRestart = ledger.votes.size - votesBefore;
    });
    expect(refusedWhileDown).toBeGreaterThan(20);
    expect(ledger.unavailableWithoutRetryAfter).toBe(0);
    // refused with a 503 and nothing else: no 500, no dropped connection
    expect([...ledger.refused.keys()]).toEqual(['503']);
    await check(ledger, { refusedWhileDown, votesAfterRestart });
  },
  FAULT_TIMEOUT_MS,
);

it(
  'turns the curator unready while Postgres is down 10 s, pauses its consumer and catches up without a duplicate case',
  async () => {
    const ledger = new Ledger('postgres down 10 s');
    const curatorReady = (status: number) =>
      expectEventually(async () => expect(await readyz(stack.curator.url)).toBe(status), {
        timeoutMs: 30_000,
        intervalMs: 200,
      });
    await underLoad(stack, ledger, { ratePerS: 25, vote: true }, async (load) => {
      await load.for(4_000);
      await curatorReady(200);
      await postgres.kill();
      const downAt = Date.now();
      await curatorReady(503);
      await load.for(Math.max(0, 10_000 - (Date.now() - downAt)));
      await postgres.start();
      await curatorReady(200);
      await load.for(3_000);
    });
    expect(ledger.refused.size).toBe(0);
    // it waited for its database: no crash, no restart, its handlers retried (nothing skipped:
    // the check below finds nothing dead-lettered)
    expect(stack.curator.running).toBe(true);
    const metrics = await (await fetch(`${stack.curator.url}/metrics`)).text();
    expect(metrics).toMatch(/^flywheel_bus_handler_retries_total\{[^}]*\} [1-9]/m);
    await check(ledger);
  },
  FAULT_TIMEOUT_MS,
);
