import {
  type CaseList,
  type EvalCaseDetail,
  type ParkedList,
  Topics,
  type VoteCounts,
} from '@flywheel/contracts';
import { expectEventually } from '@flywheel/platform/testing';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import {
  EvalCaseTopic,
  feedbackEvent,
  freshDatabase,
  interactionEvent,
  Publisher,
  requireInfra,
  type RunningCurator,
  startCurator,
  uniqueRoute,
  waitCaughtUp,
} from './curator-test-kit';

/**
 * The ingest path on real Kafka and Postgres: events published through the platform bus,
 * joined by the curator, visible through its API.
 */
const DAY_MS = 86_400_000;
let db: Awaited<ReturnType<typeof freshDatabase>>;
let curator: RunningCurator;
let publisher: Publisher;
let caseTopic: EvalCaseTopic;
/** the curator's clock runs this far ahead of real time (retention test) */
let clockOffsetMs = 0;

beforeAll(async () => {
  db = await freshDatabase();
  [publisher, caseTopic] = await Promise.all([Publisher.open(), EvalCaseTopic.open()]);
  curator = await startCurator({
    databaseUrl: db.url,
    curator: { join_ttl_s: 1 },
    clock: { now: () => Date.now() + clockOffsetMs },
  });
  await waitCaughtUp(curator.groupId);
}, 120_000);
afterAll(async () => {
  await curator?.close();
  await Promise.all([publisher?.close(), caseTopic?.close()]);
  await db?.drop();
});

const cases = async (route: string) => {
  const res = await curator.api<CaseList>(`/v1/cases?route=${route}`);
  expect(res.status).toBe(200);
  return res.body;
};
const detail = async (id: string) => (await curator.api<EvalCaseDetail>(`/v1/cases/${id}`)).body;

/**
 * The case was made the moment the later of the interaction and its vote reached the curator, in
 * that event's own transaction (no sweep, batch or join TTL in between): its created_at is that
 * event's received_at, to the millisecond of the curator's clock. How long the trip through Kafka
 * takes is a benchmark figure (`npm run bench:loop`, vote-to-case p50/p99), not a wall-clock
 * assertion on a loaded test machine.
 */
async function expectMadeOnArrival(c: { created_at: string }, interactionId: string, feedbackId: string) {
  const received = async (table: 'interactions' | 'feedback', column: string, id: string) =>
    (
      await db.pool.query<{ received_at: Date; joined_at?: Date }>(
        `select * from ${table} where ${column} = $1`,
        [id],
      )
    ).rows[0]!;
  const interaction = await received('interactions', 'interaction_id', interactionId);
  const vote = await received('feedback', 'feedback_id', feedbackId);
  const joinedAt = Math.max(interaction.received_at.getTime(), vote.received_at.getTime());
  expect(vote.joined_at?.getTime()).toBe(joinedAt);
  expect(Date.parse(c.created_at)).toBe(joinedAt);
}

describe('dislike → regression case', () => {
  it('creates a case as soon as an interaction and its down vote have both arrived', async () => {
    const route = uniqueRoute();
    const interaction = interactionEvent(route, {
      content: 'When did Apollo 11 land on the Moon?',
      output: 'In 1972.',
    });
    const vote = feedbackEvent(interaction, {
      reasons: ['incorrect', 'unhelpful'],
      comment: 'Wrong year.',
      correction: '1969',
    });
    await publisher.interaction(interaction);
    await publisher.feedback(vote);
    const list = await expectEventually(async () => {
      const l = await cases(route);
      expect(l.cases).toHaveLength(1);
      return l;
    });
    const [c] = list.cases;
    await expectMadeOnArrival(c!, interaction.interaction_id, vote.feedback_id);
    expect(c).toEqual({
      id: expect.any(String),
      route,
      status: 'new',
      count: 1,
      input: { messages: [{ role: 'user', content: 'When did Apollo 11 land on the Moon?' }] },
      output: 'In 1972.',
      reasons: ['incorrect', 'unhelpful'],
      comment: 'Wrong year.',
      correction: '1969',
      variant: 'control',
      model: 'sim-fast',
      flag_key: 'test-flag',
      assertions: [],
      lineage: {
        interaction_ids: [interaction.interaction_id],
        feedback_ids: [vote.feedback_id],
        first_seen_at: vote.created_at,
        last_seen_at: vote.created_at,
      },
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    expect(list.total).toBe(1);
    expect(list.counts).toEqual({
      by_status: { new: 1 },
      by_route: { [route]: 1 },
      by_variant: { control: 1 },
      by_reason: { incorrect: 1, unhelpful: 1 },
    });
    const d = await detail(c!.id);
    expect(d.feedback).toEqual([
      expect.objectContaining({ feedback_id: vote.feedback_id, rating: 'down', comment: 'Wrong year.' }),
    ]);
    expect(d.suggested_assertions).toEqual([
      { type: 'contains', value: '1969' },
      { type: 'llm-judge', rubric: expect.any(String) },
    ]);
    // …and announces it on flywheel.eval-cases.v1, keyed by case id
    const created = await caseTopic.waitFor(c!.id, 'created');
    expect(created).toMatchObject({ key: c!.id, id: `${c!.id}:created` });
    expect(created.event).toMatchObject({ route, status: 'new', count: 1, output: 'In 1972.' });
  });

  it('joins a vote that arrives before its interaction', async () => {
    const route = uniqueRoute();
    const interaction = interactionEvent(route, {
      request: { messages: [], input: { ticket: 'Printer on fire' }, stream: false },
    });
    const vote = feedbackEvent(interaction, { reasons: ['wrong_format'] });
    await publisher.feedback(vote);
    await publisher.interaction(interaction);
    const [c] = await expectEventually(async () => {
      const l = await cases(route);
      expect(l.cases).toHaveLength(1);
      return l.cases;
    });
    expect(c).toMatchObject({ input: { vars: { ticket: 'Printer on fire' } }, reasons: ['wrong_format'] });
    await expectMadeOnArrival(c!, interaction.interaction_id, vote.feedback_id);
  });

  it('parks a vote whose interaction does not come within the TTL, and joins it when it comes later', async () => {
    const route = uniqueRoute();
    const interaction = interactionEvent(route);
    const vote = feedbackEvent(interaction, { comment: 'late interaction' });
    await publisher.feedback(vote);
    const parked = await expectEventually(
      async () => {
        const res = await curator.api<ParkedList>(`/v1/parked?route=${route}`);
        expect(res.status).toBe(200);
        expect(res.body.parked).toHaveLength(1);
        return res.body.parked[0]!;
      },
      { timeoutMs: 5000 },
    );
    expect(parked).toEqual({
      feedback_id: vote.feedback_id,
      interaction_id: interaction.interaction_id,
      route,
      variant: 'control',
      rating: 'down',
      reasons: ['incorrect'],
      comment: 'late interaction',
      received_at: expect.any(String),
      parked_at: expect.any(String),
    });
    expect(Date.parse(parked.parked_at) - Date.parse(parked.received_at)).toBeGreaterThanOrEqual(1000);
    expect(await cases(route)).toMatchObject({ total: 0 });

    await publisher.interaction(interaction);
    const [joined] = await expectEventually(async () => {
      const l = await cases(route);
      expect(l.cases).toHaveLength(1);
      return l.cases;
    });
    await expectMadeOnArrival(joined!, interaction.interaction_id, vote.feedback_id);
    expect((await curator.api<ParkedList>(`/v1/parked?route=${route}`)).body).toEqual({
      parked: [],
      total: 0,
    });
  });

  it('merges near-identical inputs of a route into one case with a count and every vote', async () => {
    const route = uniqueRoute();
    const first = interactionEvent(route, { content: 'Please mail the invoice to anna@example.com!' });
    const second = interactionEvent(route, {
      content: 'please  MAIL the invoice to bob.smith@example.org',
      variant: 'candidate',
    });
    const other = interactionEvent(route, { content: 'Please mail the receipt to anna@example.com' });
    const votes = [
      feedbackEvent(first, { reasons: ['incorrect'], comment: 'first' }),
      feedbackEvent(second, { reasons: ['unsafe'] }),
      feedbackEvent(other),
    ];
    for (const i of [first, second, other]) await publisher.interaction(i);
    for (const v of votes) await publisher.feedback(v);
    const list = await expectEventually(
      async () => {
        const l = await cases(route);
        expect(l.cases.map((c) => c.count).sort()).toEqual([1, 2]);
        return l;
      },
      { timeoutMs: 5000 },
    );
    const merged = list.cases.find((c) => c.count === 2)!;
    // the two votes are on different partitions: either may be linked first, and the case
    // keeps the input, output and variant of the interaction that created it
    const pairs = [
      {
        interaction: first,
        vote: votes[0]!,
        content: 'Please mail the invoice to [EMAIL]!',
        variant: 'control',
      },
      {
        interaction: second,
        vote: votes[1]!,
        content: 'please  MAIL the invoice to [EMAIL]',
        variant: 'candidate',
      },
    ];
    const ordered =
      merged.lineage.interaction_ids[0] === first.interaction_id ? pairs : [pairs[1]!, pairs[0]!];
    expect(merged.lineage.interaction_ids).toEqual(ordered.map((p) => p.interaction.interaction_id));
    expect(merged.lineage.feedback_ids).toEqual(ordered.map((p) => p.vote.feedback_id));
    expect(merged.input).toEqual({ messages: [{ role: 'user', content: ordered[0]!.content }] });
    expect(merged.variant).toBe(ordered[0]!.variant);
    expect([...merged.reasons].sort()).toEqual(['incorrect', 'unsafe']);
    expect((await detail(merged.id)).feedback.map((f) => [f.feedback_id, f.variant])).toEqual(
      ordered.map((p) => [p.vote.feedback_id, p.variant]),
    );
    const mergedBy = ordered[1]!.vote.feedback_id;
    const merges = await caseTopic.waitFor(merged.id, 'merged');
    expect(merges.event).toMatchObject({ count: 2, status: 'new' });
    expect(merges.id).toBe(`${merged.id}:merged:${mergedBy}`);
  });

  it('stores up votes and counts them per variant, without a case', async () => {
    const route = uniqueRoute();
    const a = interactionEvent(route);
    const b = interactionEvent(route, { variant: 'candidate' });
    await publisher.interaction(a);
    await publisher.interaction(b);
    await publisher.feedback(feedbackEvent(a, { rating: 'up', reasons: [] }));
    await publisher.feedback(feedbackEvent(b, { rating: 'up', reasons: [] }));
    await publisher.feedback(feedbackEvent(b, { rating: 'up', reasons: [] }));
    await expectEventually(
      async () => {
        const res = await curator.api<VoteCounts>(`/v1/votes?route=${route}`);
        expect(res.body.votes).toEqual([
          { route, variant: 'candidate', up: 2, down: 0 },
          { route, variant: 'control', up: 1, down: 0 },
        ]);
      },
      { timeoutMs: 5000 },
    );
    expect((await cases(route)).total).toBe(0);
    const metrics = (await curator.api<string>('/metrics', { token: null })).text;
    expect(metrics).toMatch(
      new RegExp(`flywheel_curator_votes_total\\{route="${route}",variant="candidate",rating="up"\\} 2`),
    );
  });
});

describe('re-votes and redelivery', () => {
  it('treats a redelivered identical event as a no-op', async () => {
    const route = uniqueRoute();
    const interaction = interactionEvent(route);
    const vote = feedbackEvent(interaction);
    await publisher.interaction(interaction);
    await publisher.feedback(vote);
    await publisher.feedback(vote);
    await publisher.interaction(interaction);
    // a later vote on the same interaction (same partition) proves the repeats were handled
    const marker = feedbackEvent(interaction, { rating: 'up', reasons: [] });
    await publisher.feedback(marker);
    await expectEventually(
      async () =>
        expect((await curator.api<VoteCounts>(`/v1/votes?route=${route}`)).body.votes).toEqual([
          { route, variant: 'control', up: 1, down: 1 },
        ]),
      { timeoutMs: 5000 },
    );
    const list = await cases(route);
    expect(list.cases.map((c) => [c.count, c.lineage.feedback_ids])).toEqual([[1, [vote.feedback_id]]]);
    const metrics = (await curator.api<string>('/metrics', { token: null })).text;
    expect(metrics).toMatch(/flywheel_curator_redeliveries_total\{topic="flywheel.feedback.v1"\} [1-9]/);
    expect(metrics).toMatch(/flywheel_curator_redeliveries_total\{topic="flywheel.interactions.v1"\} [1-9]/);
  });

  it('lets a changed vote replace the earlier one: down → up withdraws a new case it alone stood for', async () => {
    const route = uniqueRoute();
    const interaction = interactionEvent(route);
    const down = feedbackEvent(interaction, { comment: 'bad' });
    await publisher.interaction(interaction);
    await publisher.feedback(down);
    const [c] = await expectEventually(async () => {
      const l = await cases(route);
      expect(l.cases).toHaveLength(1);
      return l.cases;
    });
    await publisher.feedback({ ...down, rating: 'up', reasons: [], comment: undefined, revision: 2 });
    const withdrawn = await expectEventually(async () => {
      const l = await cases(route);
      expect(l.cases[0]?.status).toBe('rejected');
      return l.cases[0]!;
    });
    expect(withdrawn).toMatchObject({
      id: c!.id,
      count: 1,
      reject_reason: expect.stringMatching(/^withdrawn/),
    });
    expect((await curator.api<VoteCounts>(`/v1/votes?route=${route}`)).body.votes).toEqual([
      { route, variant: 'control', up: 1, down: 0 },
    ]);
    expect((await caseTopic.waitFor(c!.id, 'rejected')).event.status).toBe('rejected');
  });

  it('drops a changed vote from a merged new case, and keeps it on an accepted one', async () => {
    const route = uniqueRoute();
    const content = `Is the shop open on Sunday ${route}?`;
    const [i1, i2] = [interactionEvent(route, { content }), interactionEvent(route, { content })];
    const [v1, v2] = [feedbackEvent(i1), feedbackEvent(i2)];
    for (const e of [i1, i2]) await publisher.interaction(e);
    for (const v of [v1, v2]) await publisher.feedback(v);
    const [c] = await expectEventually(async () => {
      const l = await cases(route);
      expect(l.cases.map((x) => x.count)).toEqual([2]);
      return l.cases;
    });
    await publisher.feedback({ ...v2, rating: 'up', reasons: [], revision: 2 });
    await expectEventually(async () => {
      const l = await cases(route);
      expect(l.cases.map((x) => [x.status, x.count, x.lineage.feedback_ids])).toEqual([
        ['new', 1, [v1.feedback_id]],
      ]);
    });
    const accepted = await curator.api(`/v1/cases/${c!.id}/accept`, {
      method: 'POST',
      body: JSON.stringify({ assertions: [{ type: 'contains', value: 'Sunday' }] }),
    });
    expect(accepted.status).toBe(200);
    await publisher.feedback({ ...v1, rating: 'up', reasons: [], revision: 2 });
    await expectEventually(async () =>
      expect((await curator.api<VoteCounts>(`/v1/votes?route=${route}`)).body.votes).toEqual([
        { route, variant: 'control', up: 2, down: 0 },
      ]),
    );
    expect((await cases(route)).cases.map((x) => [x.status, x.count])).toEqual([['accepted', 1]]);
  });
});

describe('tolerates what else is on the topics', () => {
  it('dead-letters an invalid event and keeps consuming the partition', async () => {
    const { KAFKA_BROKERS } = requireInfra();
    const kafka = new Kafka({
      clientId: 'curator-test-poison',
      brokers: KAFKA_BROKERS.split(','),
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const route = uniqueRoute();
    const interaction = interactionEvent(route);
    try {
      // same key as the good events, so the same partition: the poison comes first
      await producer.send({
        topic: Topics.feedback,
        acks: -1,
        messages: [
          {
            key: interaction.interaction_id,
            value: JSON.stringify({ feedback_id: 'x', rating: 'meh' }),
            headers: {
              ce_specversion: '1.0',
              ce_id: `poison-${route}`,
              ce_type: 'dev.flywheel.feedback.v1',
              ce_source: 'test',
            },
          },
        ],
      });
    } finally {
      await producer.disconnect();
    }
    await publisher.interaction(interaction);
    await publisher.feedback(feedbackEvent(interaction));
    await expectEventually(async () => expect((await cases(route)).total).toBe(1), { timeoutMs: 5000 });
    const metrics = (await curator.api<string>('/metrics', { token: null })).text;
    expect(metrics).toMatch(
      new RegExp(
        `flywheel_bus_events_consumed_total\\{group="${curator.groupId}",topic="flywheel.feedback.v1",outcome="dlq"\\} [1-9]`,
      ),
    );
  });
});

describe('retention', () => {
  it(`deletes old votes and interactions except an accepted case's, and cases left without votes`, async () => {
    const route = uniqueRoute();
    const keep = interactionEvent(route, { content: `keep me ${route}` });
    const drop = interactionEvent(route, { content: `drop me ${route}` });
    const keepVote = feedbackEvent(keep);
    const dropVote = feedbackEvent(drop);
    for (const i of [keep, drop]) await publisher.interaction(i);
    for (const v of [keepVote, dropVote]) await publisher.feedback(v);
    // wait on the rows used below: the list and its total are separate reads, and a case
    // committed between them is counted before it is listed
    const list = await expectEventually(async () => {
      const l = await cases(route);
      expect(l.cases).toHaveLength(2);
      return l;
    });
    const keepCase = list.cases.find((c) => c.lineage.feedback_ids[0] === keepVote.feedback_id)!;
    expect(
      (
        await curator.api(`/v1/cases/${keepCase.id}/accept`, {
          method: 'POST',
          body: JSON.stringify({ assertions: [{ type: 'not-contains', value: '41' }] }),
        })
      ).status,
    ).toBe(200);

    clockOffsetMs = 31 * DAY_MS;
    try {
      const result = await curator.jobs.retention();
      expect(result.cases).toBeGreaterThanOrEqual(1);
    } finally {
      clockOffsetMs = 0;
    }
    const ids = async (sql: string) =>
      (await db.pool.query<{ id: string }>(sql, [[keep.interaction_id, drop.interaction_id]])).rows
        .map((r) => r.id)
        .sort();
    expect(await ids('select interaction_id as id from interactions where interaction_id = any($1)')).toEqual(
      [keep.interaction_id],
    );
    expect(await ids('select interaction_id as id from feedback where interaction_id = any($1)')).toEqual([
      keep.interaction_id,
    ]);
    expect((await cases(route)).cases.map((c) => [c.id, c.status, c.count])).toEqual([
      [keepCase.id, 'accepted', 1],
    ]);
  });
});
