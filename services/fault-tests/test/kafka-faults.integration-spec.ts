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
 * One broker outage serves two faults (a broker restart is the slowest step of this file): the
 * 10 s outage under steady load, and a backlog larger than one produce batch's byte limit
 * (500 events of 20 KB = 10 MB, the batch limit is 4 MiB) sent while the broker is away; each
 * has its own ledger, checked and printed on its own.
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
  'answers through a 10 s Kafka outage under load with a 500 x 20 KB backlog, and relays every answer once after the restart',
  async () => {
    const ledger = new Ledger('kafka killed 10 s');
    const backlog = new Ledger('backlog 500 x 20 KB');
    const burst = new Load(stack, backlog, {
      ratePerS: 1,
      vote: false,
      messageBytes: 20_000,
      maxInFlight: 16,
    });
    let duringOutage = 0;
    let outageMs = 0;
    await underLoad(stack, ledger, { ratePerS: 25, vote: true }, async (load) => {
      await load.for(4_000);
      await kafka.kill();
      const downAt = Date.now();
      const before = ledger.answered;
      // at least 10 s, and until the whole backlog is answered (spooled) while the broker is away
      await Promise.all([load.for(10_000), burst.burst(500)]);
      duringOutage = ledger.answered - before;
      outageMs = Date.now() - downAt;
      await kafka.start();
      await load.for(3_000);
    });
    // the spools take the events while Kafka is away: clients keep getting answers
    expect(duringOutage).toBeGreaterThan(100);
    expect(ledger.refused.size).toBe(0);
    expect(backlog.interactions.size).toBe(500);
    expect(backlog.refused.size).toBe(0);
    await check(ledger, { answeredDuringOutage: duringOutage, outageMs });
    // more than one produce batch's bytes behind one restart: relayed in several, none refused
    await check(backlog, { outageMs }, 60_000);
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
