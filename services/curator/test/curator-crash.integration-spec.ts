import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type CaseList, Topics } from '@flywheel/contracts';
import { encodeEvent } from '@flywheel/platform';
import { expectEventually } from '@flywheel/platform/testing';
import { type Admin, Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { startGroupAt } from '../../../test-support/kafka-groups';
import { FAULT_EXIT_CODE } from '../src/curator-app';
import {
  ADMIN_TOKEN,
  api,
  EvalCaseTopic,
  feedbackEvent,
  freshDatabase,
  interactionEvent,
  Publisher,
  requireInfra,
  uniqueRoute,
  waitCaughtUp,
} from './curator-test-kit';

/**
 * At-least-once for real: the curator (`flywheel start --only curator`, a child process) dies right after the
 * database transaction of a dislike commits and before Kafka has its offset. Started again in
 * the same consumer group on the same database, it gets the event again and changes nothing:
 * still exactly one case, and the case event the crash interrupted is published after all.
 */
const ROOT = resolve(__dirname, '../../..');
const { KAFKA_BROKERS } = requireInfra();
const groupId = `curator-crash-${randomBytes(6).toString('hex')}`;
let db: Awaited<ReturnType<typeof freshDatabase>>;
let publisher: Publisher;
let caseTopic: EvalCaseTopic;
let kafka: Kafka;
let admin: Admin;
let producer: Producer;
const children: ChildProcess[] = [];
const spoolDirs: string[] = [];

beforeAll(async () => {
  db = await freshDatabase();
  [publisher, caseTopic] = await Promise.all([Publisher.open(), EvalCaseTopic.open()]);
  kafka = new Kafka({
    clientId: 'curator-crash-test',
    brokers: KAFKA_BROKERS.split(','),
    logLevel: logLevel.NOTHING,
  });
  admin = kafka.admin();
  producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await Promise.all([
    admin.connect(),
    producer.connect(),
    startGroupAt(KAFKA_BROKERS, groupId, [Topics.interactions, Topics.feedback]),
  ]);
}, 120_000);
afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all([admin?.disconnect(), producer?.disconnect(), publisher?.close(), caseTopic?.close()]);
  await db?.drop();
  for (const dir of spoolDirs) rmSync(dir, { recursive: true, force: true });
});

interface Child {
  process: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

/** Runs the curator as its own process and waits until it listens. */
async function runCurator(extraEnv: Record<string, string> = {}): Promise<Child> {
  const spoolDir = mkdtempSync(join(tmpdir(), 'curator-crash-spool-'));
  spoolDirs.push(spoolDir);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'services/cli/src/main.ts', 'start', '--only', 'curator'],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        LOG_LEVEL: 'info', // the "listening on" line is an info log
        KAFKA_BROKERS,
        DATABASE_URL: db.url,
        FLYWHEEL_ADMIN_TOKEN: ADMIN_TOKEN,
        CURATOR_PORT: '0',
        CURATOR_HOST: '127.0.0.1',
        CURATOR_GROUP_ID: groupId,
        CURATOR_SPOOL_DIR: spoolDir,
        CURATOR_SWEEP_INTERVAL_MS: '200',
        ...extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const url = await expectEventually(
    () => {
      expect(child.exitCode).toBeNull();
      const m = output.match(/curator listening on (http:\/\/[^\s"]+)/);
      expect(m).not.toBeNull();
      return m![1]!;
    },
    { timeoutMs: 60_000, intervalMs: 100 },
  ).catch((err: unknown) => {
    throw new Error(`curator did not start: ${String(err)}\n${output}`);
  });
  return { process: child, url, output: () => output, exited };
}

/** The group's committed offset on a partition (-1 when none). */
async function committed(topic: string, partition: number): Promise<bigint> {
  const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return BigInt(offsets!.partitions.find((p) => p.partition === partition)!.offset);
}

it('reprocesses a dislike whose offset was not committed before a crash, without a duplicate case', async () => {
  const route = uniqueRoute('crash');
  const interaction = interactionEvent(route);
  const vote = feedbackEvent(interaction, { correction: '42' });

  const first = await runCurator({ CURATOR_FAULT_EXIT_AFTER_FEEDBACK: vote.feedback_id });
  await waitCaughtUp(groupId);
  await publisher.interaction(interaction);
  // the interaction is stored first, so the vote's transaction is the one that writes the case
  // (the curator consumes both topics in parallel: a vote may otherwise arrive first and wait)
  await expectEventually(
    async () => {
      const { rowCount } = await db.pool.query('select 1 from interactions where interaction_id = $1', [
        interaction.interaction_id,
      ]);
      expect(rowCount).toBe(1);
    },
    { timeoutMs: 30_000 },
  );
  const encoded = encodeEvent(
    { type: 'dev.flywheel.feedback.v1', key: vote.interaction_id, id: `${vote.feedback_id}:1`, data: vote },
    'curator-crash-test',
  );
  const [sent] = await producer.send({
    topic: Topics.feedback,
    acks: -1,
    messages: [{ key: encoded.key, value: encoded.value, headers: encoded.headers }],
  });
  const { partition, baseOffset } = sent!;
  const voteOffset = BigInt(baseOffset!);

  expect(await first.exited).toBe(FAULT_EXIT_CODE);
  expect(first.output()).toContain(`exiting after the write of feedback ${vote.feedback_id}`);
  // the write is there, the offset is not
  const caseRows = async () =>
    (
      await db.pool.query<{ case_id: string; links: number }>(
        `select c.case_id, (select count(*)::int from case_feedback cf where cf.case_id = c.case_id) as links
         from eval_cases c where c.route = $1`,
        [route],
      )
    ).rows;
  const [written] = await caseRows();
  expect(written).toEqual({ case_id: expect.any(String), links: 1 });
  expect(await committed(Topics.feedback, partition)).toBeLessThanOrEqual(voteOffset);

  const second = await runCurator();
  try {
    await expectEventually(
      async () => expect(await committed(Topics.feedback, partition)).toBeGreaterThan(voteOffset),
      {
        timeoutMs: 30_000,
      },
    );
    const metrics = (await api<string>(second.url, '/metrics', { token: null })).text;
    expect(metrics).toMatch(/flywheel_curator_redeliveries_total\{topic="flywheel.feedback.v1"\} [1-9]/);
    expect(await caseRows()).toEqual([written]);
    const list = await api<CaseList>(second.url, `/v1/cases?route=${route}`);
    expect(list.body.cases.map((c) => [c.id, c.count, c.lineage.feedback_ids])).toEqual([
      [written!.case_id, 1, [vote.feedback_id]],
    ]);
    // the event of the interrupted change comes from the outbox, once
    await caseTopic.waitFor(written!.case_id, 'created');
    expect(caseTopic.events.filter((e) => e.event.case_id === written!.case_id)).toHaveLength(1);
  } finally {
    second.process.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }
  // two curator processes start, join the group and rebalance: over a minute on a loaded 2-core host
}, 180_000);
