import { randomUUID } from 'node:crypto';
import { type SubjectErasure, SubjectErasedEvent, Topics } from '@flywheel/contracts';
import { subjectHash } from '@flywheel/platform';
import { expectEventually } from '@flywheel/platform/testing';
import { type Consumer, Kafka, logLevel } from 'kafkajs';
import {
  ADMIN_TOKEN as GATEWAY_ADMIN,
  SECRET,
  startGateway,
  type TestGateway,
} from '../../gateway/test/gateway-test-kit';
import { type RunningFeedback, startFeedback } from '../../feedback/test/feedback-test-kit';
import { runCli } from './eval-kit';
import {
  ADMIN_TOKEN,
  feedbackEvent,
  freshDatabase,
  interactionEvent,
  Publisher,
  requireInfra,
  type RunningCurator,
  startCurator,
  waitCaughtUp,
} from '../../curator/test/curator-test-kit';

/**
 * Erase by subject (GDPR) on the real stack: subjects A and B chat through the gateway and vote
 * through the feedback service, both on real Kafka, into a curator on real Postgres. Erasing A
 * removes A's rows and keeps B's, puts a tombstone on flywheel.subjects.v1, and a second curator
 * replaying every topic from the beginning (a new consumer group) does not bring A back.
 */

// A targeting key as products use them: an e-mail address, with a `/` and non-ASCII text that
// must travel as one percent-encoded path segment
const KEY_A = `ada/${randomUUID()}@example.com Zoë`;
const KEY_B = `bob-${randomUUID()}`;
const HASH_A = subjectHash(KEY_A, SECRET);
const HASH_B = subjectHash(KEY_B, SECRET);
/** A's interactions published straight to the topic, as a backlog beside the two chats */
const BACKLOG = 200;

let gateway: TestGateway;
let feedback: RunningFeedback;
let curator: RunningCurator;
let publisher: Publisher;
let db: Awaited<ReturnType<typeof freshDatabase>>;
/** before this file published anything: where the replay starts */
const fileStartedAt = Date.now();

beforeAll(async () => {
  db = await freshDatabase();
  gateway = await startGateway();
  feedback = await startFeedback({ env: { FLYWHEEL_FEEDBACK_SECRET: SECRET } });
  publisher = await Publisher.open();
  curator = await startCurator({ databaseUrl: db.url, env: { FLYWHEEL_FEEDBACK_SECRET: SECRET } });
}, 120_000);
afterAll(async () => {
  await Promise.all([gateway?.close(), feedback?.close(), curator?.close(), publisher?.close()]);
  await db?.drop();
});

/** Markers in each subject's comments, free of PII so the redactor leaves them as they are. */
const TAG_A = `alpha-${randomUUID()}`;
const TAG_B = `bravo-${randomUUID()}`;

/** One chat answer for `user` on the control variant, disliked through the feedback service. */
async function chatAndDislike(user: string, content: string, vote = true): Promise<string> {
  const res = await fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${GATEWAY_ADMIN}`,
      'content-type': 'application/json',
      'x-flywheel-variant': 'control',
    },
    body: JSON.stringify({ model: 'route:chat', user, messages: [{ role: 'user', content }] }),
  });
  expect(res.status).toBe(200);
  const interactionId = res.headers.get('x-flywheel-interaction-id')!;
  if (vote) {
    const token = res.headers.get('x-flywheel-feedback-token')!;
    const voted = await feedback.post({
      interaction_id: interactionId,
      token,
      rating: 'down',
      reasons: ['incorrect'],
      comment: `${user === KEY_A ? TAG_A : TAG_B} did not like this`,
      correction: `the answer ${user === KEY_A ? TAG_A : TAG_B} wanted`,
    });
    expect(voted.status).toBe(202);
  }
  return interactionId;
}

/** flywheel_curator_erased_events_dropped_total of one topic in a /metrics text. */
const droppedIn = (metrics: string, topic: string) =>
  Number(
    new RegExp(`flywheel_curator_erased_events_dropped_total\\{topic="${topic}"\\} (\\d+)`).exec(
      metrics,
    )?.[1] ?? 0,
  );

const count = async (sql: string, params: unknown[]) =>
  (await db.pool.query<{ n: number }>(sql, params)).rows[0]!.n;

/** What the curator's database holds of one subject. */
async function holdings(hash: string, interactionIds: string[]) {
  return {
    interactions: await count(
      'select count(*)::int as n from interactions where subject_hash = $1 or interaction_id = any($2)',
      [hash, interactionIds],
    ),
    votes: await count('select count(*)::int as n from feedback where subject_hash = $1', [hash]),
    links: await count(
      `select count(*)::int as n from case_feedback cf join feedback f using (feedback_id)
       where f.subject_hash = $1 or cf.interaction_id = any($2)`,
      [hash, interactionIds],
    ),
  };
}

const caseOf = async (interactionId: string) =>
  (
    await db.pool.query<{ case_id: string }>('select case_id from case_feedback where interaction_id = $1', [
      interactionId,
    ])
  ).rows[0]?.case_id;

/** Every tombstone on flywheel.subjects.v1 (a reader of its own, from the beginning). */
async function readTombstones(): Promise<{
  consumer: Consumer;
  seen: { key: string; type: string; id: string; data: unknown }[];
}> {
  const kafka = new Kafka({
    clientId: 'erase-test',
    brokers: requireInfra().KAFKA_BROKERS.split(','),
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: `erase-test-${randomUUID()}` });
  const seen: { key: string; type: string; id: string; data: unknown }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: Topics.subjects, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      seen.push({
        key: message.key?.toString() ?? '',
        type: message.headers?.ce_type?.toString() ?? '',
        id: message.headers?.ce_id?.toString() ?? '',
        data: JSON.parse(message.value?.toString() ?? 'null'),
      });
    },
  });
  return { consumer, seen };
}

it('erases subject A everywhere in the curator, keeps B, tombstones A, and a replay does not resurrect A', async () => {
  const shared = `Which plan fits a team of ${randomUUID()}?`;
  // A: an own dislike, then the shared question first (so the merged case starts as A's copy), and
  // an interaction without a vote; B: an own dislike and the same shared question
  const aOwn = await chatAndDislike(KEY_A, `Reset the password of ${KEY_A} ${randomUUID()}`);
  const aShared = await chatAndDislike(KEY_A, shared);
  const aQuiet = await chatAndDislike(KEY_A, `Just a question ${randomUUID()}`, false);
  const bOwn = await chatAndDislike(KEY_B, `Cancel my order ${randomUUID()}`);
  const bShared = await chatAndDislike(KEY_B, shared);
  const backlog = Array.from({ length: BACKLOG }, (_, i) =>
    interactionEvent('chat', { subject_hash: HASH_A, content: `backlog ${i} of ${KEY_A}` }),
  );
  for (const e of backlog) {
    await publisher.bus.publish({ type: 'dev.flywheel.interaction.v1', key: e.interaction_id, data: e });
  }
  await publisher.bus.flush(30_000);
  const aIds = [aOwn, aShared, aQuiet, ...backlog.map((e) => e.interaction_id)];
  const bIds = [bOwn, bShared];

  const sharedCase = await expectEventually(
    async () => {
      expect(await holdings(HASH_A, aIds)).toEqual({ interactions: 3 + BACKLOG, votes: 2, links: 2 });
      expect(await holdings(HASH_B, bIds)).toEqual({ interactions: 2, votes: 2, links: 2 });
      const [x, y] = [await caseOf(aShared), await caseOf(bShared)];
      expect(x).toBe(y);
      return x!;
    },
    { timeoutMs: 180_000 },
  );
  const aCase = (await caseOf(aOwn))!;
  const bCase = (await caseOf(bOwn))!;
  const bInteraction = (
    await db.pool.query<{ input: unknown; output: string }>(
      'select input, output from interactions where interaction_id = $1',
      [bShared],
    )
  ).rows[0]!;

  const tombstones = await readTombstones();
  try {
    // the key as one percent-encoded path segment ('/' → %2F); no body
    const path = `/v1/subjects/${encodeURIComponent(KEY_A)}/erase`;
    const erased = await curator.api<SubjectErasure>(path, { method: 'POST' });
    expect(erased.status).toBe(200);
    expect(erased.body).toMatchObject({
      subject_hash: HASH_A,
      deleted: { interactions: 3 + BACKLOG, votes: 2, cases: 1, pending_case_events: expect.any(Number) },
      changed_cases: 1,
      case_ids: { deleted: [aCase], changed: [sharedCase] },
    });
    expect(erased.body.first_erased_at).toBe(erased.body.erased_at);

    // A's rows are gone, B's remain; the shared case keeps B's vote and now holds B's input and output
    expect(await holdings(HASH_A, aIds)).toEqual({ interactions: 0, votes: 0, links: 0 });
    expect(await holdings(HASH_B, bIds)).toEqual({ interactions: 2, votes: 2, links: 2 });
    const left = await db.pool.query<{ case_id: string; input: unknown; output: string }>(
      'select case_id, input, output from eval_cases where case_id = any($1) order by case_id',
      [[aCase, bCase, sharedCase]],
    );
    expect(left.rows.map((r) => r.case_id).sort()).toEqual([bCase, sharedCase].sort());
    const seat = left.rows.find((r) => r.case_id === sharedCase)!;
    expect({ input: seat.input, output: seat.output }).toEqual(bInteraction);
    const detail = await curator.api<{ count: number; lineage: { interaction_ids: string[] } }>(
      `/v1/cases/${sharedCase}`,
    );
    expect(detail.body).toMatchObject({ count: 1, lineage: { interaction_ids: [bShared] } });
    // nothing of A's text is left in any table; B's is
    const dump = (
      await db.pool.query<{ t: string }>(
        `select concat_ws(' ', (select json_agg(i)::text from interactions i),
           (select json_agg(f)::text from feedback f), (select json_agg(c)::text from eval_cases c),
           (select json_agg(o)::text from case_event_outbox o)) as t`,
      )
    ).rows[0]!.t;
    expect({ a: dump.includes(TAG_A), password: dump.includes('Reset the password of') }).toEqual({
      a: false,
      password: false,
    });
    expect({ b: dump.includes(TAG_B), order: dump.includes('Cancel my order') }).toEqual({
      b: true,
      order: true,
    });

    // the tombstone is on the topic, keyed by A's subject hash
    const tombstone = await expectEventually(
      () => {
        const t = tombstones.seen.find((m) => m.key === HASH_A);
        expect(t).toBeDefined();
        return t!;
      },
      { timeoutMs: 30_000 },
    );
    expect(tombstone).toMatchObject({ type: 'dev.flywheel.subject-erased.v1', id: erased.body.tombstone_id });
    expect(SubjectErasedEvent.parse(tombstone.data)).toMatchObject({
      subject_hash: HASH_A,
      case_ids: { deleted: [aCase], changed: [sharedCase], truncated: false },
    });

    // idempotent: again by hash → nothing left to delete, same first erase time, a new tombstone
    const again = await curator.api<SubjectErasure>(`/v1/subjects/by-hash/${HASH_A}/erase`, {
      method: 'POST',
    });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({
      deleted: { interactions: 0, votes: 0, cases: 0, pending_case_events: 0 },
      changed_cases: 0,
      first_erased_at: erased.body.first_erased_at,
    });
    await expectEventually(
      () => expect(tombstones.seen.map((m) => m.id)).toContain(again.body.tombstone_id),
      {
        timeoutMs: 30_000,
      },
    );
  } finally {
    await tombstones.consumer.disconnect();
  }

  // late events of A (a retried publish, a vote on an old answer) are dropped, B's still land
  const late = interactionEvent('chat', { subject_hash: HASH_A, content: `late from ${KEY_A}` });
  await publisher.interaction(late);
  await publisher.feedback(feedbackEvent(late, { subject_hash: HASH_A }));
  const bLate = interactionEvent('chat', { subject_hash: HASH_B });
  await publisher.interaction(bLate);
  await expectEventually(
    async () => {
      expect(await holdings(HASH_B, [...bIds, bLate.interaction_id])).toMatchObject({ interactions: 3 });
      const metrics = (await curator.api<string>('/metrics', { token: null })).text;
      expect(droppedIn(metrics, Topics.interactions)).toBeGreaterThanOrEqual(1);
      expect(droppedIn(metrics, Topics.feedback)).toBeGreaterThanOrEqual(1);
    },
    { timeoutMs: 30_000 },
  );
  expect(await holdings(HASH_A, [...aIds, late.interaction_id])).toEqual({
    interactions: 0,
    votes: 0,
    links: 0,
  });

  // replay: a second curator on the same database reads the topics again in a new consumer group,
  // from before this file's first event (and has no FLYWHEEL_FEEDBACK_SECRET: erase by key is
  // refused, by hash works)
  await curator.close();
  curator = await startCurator({ databaseUrl: db.url, from: fileStartedAt });
  await waitCaughtUp(curator.groupId);
  expect(await holdings(HASH_A, [...aIds, late.interaction_id])).toEqual({
    interactions: 0,
    votes: 0,
    links: 0,
  });
  expect(await holdings(HASH_B, [...bIds, bLate.interaction_id])).toEqual({
    interactions: 3,
    votes: 2,
    links: 2,
  });
  expect(await caseOf(aOwn)).toBeUndefined();
  const metrics = (await curator.api<string>('/metrics', { token: null })).text;
  expect(droppedIn(metrics, Topics.interactions)).toBeGreaterThanOrEqual(3 + BACKLOG + 1);
  expect(droppedIn(metrics, Topics.feedback)).toBeGreaterThanOrEqual(3);

  const byKey = await curator.api<{ error: { code: string } }>(
    `/v1/subjects/${encodeURIComponent(KEY_B)}/erase`,
    {
      method: 'POST',
    },
  );
  expect([byKey.status, byKey.body.error.code]).toEqual([501, 'not_configured']);
  const badHash = await curator.api<{ error: { code: string; param: string } }>(
    '/v1/subjects/by-hash/ABC/erase',
    {
      method: 'POST',
    },
  );
  expect([badHash.status, badHash.body.error.param]).toEqual([400, 'hash']);
  const anonymous = await curator.api(`/v1/subjects/by-hash/${HASH_B}/erase`, {
    method: 'POST',
    token: null,
  });
  expect(anonymous.status).toBe(401);
  expect(await holdings(HASH_B, bIds)).toMatchObject({ votes: 2 });

  // the CLI with the secret hashes the key itself and erases by hash: this curator lacks the secret
  const cli = await runCli(['subjects', 'erase', KEY_B], {
    FLYWHEEL_ADMIN_TOKEN: ADMIN_TOKEN,
    FLYWHEEL_CURATOR_URL: curator.url,
    FLYWHEEL_FEEDBACK_SECRET: SECRET,
  });
  expect({ code: cli.code, stderr: cli.stderr }).toEqual({
    code: 0,
    stderr: expect.stringContaining(HASH_B),
  });
  expect(`${cli.stdout}${cli.stderr}`).not.toContain(KEY_B);
  expect(JSON.parse(cli.stdout)).toMatchObject({
    subject_hash: HASH_B,
    deleted: { interactions: 3, votes: 2 },
  });
  expect(await holdings(HASH_B, [...bIds, bLate.interaction_id])).toEqual({
    interactions: 0,
    votes: 0,
    links: 0,
  });
}, 420_000);
