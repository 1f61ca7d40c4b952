import { expectEventually } from '@flywheel/platform/testing';
import { type KafkaBroker, startKafka } from '../../../infra/local';
import { createTestDatabase, type TestDatabase } from '../../../test-support/postgres';
import { checkLedger } from './checker';
import { Ledger } from './ledger';
import { Load, underLoad } from './load';
import { countRows } from './sinks';
import { Stack } from './stack';

/**
 * Faults of Kafka and of the processes around it, on a private broker this file starts, kills
 * and restarts (the shared one of globalSetup is left alone): gateway, feedback and curator
 * run as child processes under steady client load, a ledger records every answer, and after
 * each fault an independent reader of the topics and the curator's database must find every
 * answered interaction and vote exactly once at each sink (copies on the wire are counted).
 */
const FAULT_TIMEOUT_MS = 240_000;
let kafka: KafkaBroker;
let db: TestDatabase;
let stack: Stack;

beforeAll(async () => {
  [kafka, db] = await Promise.all([startKafka(), createTestDatabase('faults_kafka')]);
  stack = await Stack.start({
    kafkaBrokers: kafka.brokers,
    redisUrl: process.env.REDIS_URL!,
    databaseUrl: db.url,
  });
}, 360_000);

afterAll(async () => {
  await stack?.stop();
  await Promise.allSettled([kafka?.stop(), db?.drop()]);
}, 120_000);

const check = (ledger: Ledger, extra: Record<string, unknown> = {}, timeoutMs = 90_000) =>
  checkLedger(ledger, { brokers: kafka.brokers, databaseUrl: db.url, timeoutMs, extra });

it(
  'answers through a 10 s Kafka outage under gateway and feedback load, and delivers every answer once',
  async () => {
    const ledger = new Ledger('kafka killed 10 s');
    let duringOutage = 0;
    await underLoad(stack, ledger, { ratePerS: 25, vote: true }, async (load) => {
      await load.for(4_000);
      await kafka.kill();
      const before = ledger.answered;
      await load.for(10_000);
      duringOutage = ledger.answered - before;
      await kafka.start();
      await load.for(3_000);
    });
    // the spools take the events while Kafka is away: clients keep getting answers
    expect(duringOutage).toBeGreaterThan(100);
    expect(ledger.refused.size).toBe(0);
    await check(ledger, { answeredDuringOutage: duringOutage });
  },
  FAULT_TIMEOUT_MS,
);

it(
  'loses no answered interaction when the gateway is SIGKILLed under load and restarted',
  async () => {
    const ledger = new Ledger('gateway SIGKILL');
    await underLoad(stack, ledger, { ratePerS: 30, vote: true }, async (load) => {
      await load.for(5_000);
      await stack.gateway.kill();
      await stack.gateway.start(); // same spool dir: what was spooled is relayed now
      await load.for(3_000);
      // on a loaded machine the restart eats most of the load's time: go on until the ledger
      // holds enough answers on both sides of the kill to mean something
      await expectEventually(() => expect(ledger.interactions.size).toBeGreaterThan(100), {
        timeoutMs: 60_000,
        intervalMs: 250,
      });
    });
    expect(ledger.interactions.size).toBeGreaterThan(100);
    await check(ledger);
  },
  FAULT_TIMEOUT_MS,
);

it(
  'creates every case once when the curator is SIGKILLed in the middle of a backlog',
  async () => {
    const ledger = new Ledger('curator SIGKILL mid-batch');
    const rows: Record<string, number> = {};
    await underLoad(stack, ledger, { ratePerS: 30, vote: true }, async (load) => {
      await load.for(3_000);
      await stack.curator.kill();
      await load.for(3_000); // a backlog builds up while it is away
      rows.beforeRestart = await countRows(db.url);
      await stack.curator.start();
      // killed again as soon as it has written part of the backlog: a batch in flight, its
      // offsets not committed
      await expectEventually(
        async () => expect(await countRows(db.url)).toBeGreaterThan(rows.beforeRestart!),
        {
          timeoutMs: 60_000,
          intervalMs: 20,
        },
      );
      await stack.curator.kill();
      rows.atSecondKill = await countRows(db.url);
      await stack.curator.start();
      await load.for(2_000);
    });
    await check(ledger, rows);
  },
  FAULT_TIMEOUT_MS,
);

it(
  'relays a backlog larger than one produce batch (500 events of 20 KB) after a broker restart',
  async () => {
    const ledger = new Ledger('backlog 500 x 20 KB');
    const load = new Load(stack, ledger, { ratePerS: 1, vote: false, messageBytes: 20_000, maxInFlight: 16 });
    await kafka.kill();
    await load.burst(500);
    expect(ledger.interactions.size).toBe(500);
    await kafka.start();
    await check(ledger, {}, 60_000);
  },
  FAULT_TIMEOUT_MS,
);
