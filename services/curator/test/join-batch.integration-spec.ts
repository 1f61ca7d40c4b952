import { type EvalCaseEvent, type FeedbackEvent, type InteractionEvent, Topics } from '@flywheel/contracts';
import {
  createEventBus,
  createSqlDatabase,
  type EventBus,
  migrate,
  Redactor,
  type SqlDatabase,
} from '@flywheel/platform';
import { expectEventually } from '@flywheel/platform/testing';
import { Registry } from 'prom-client';
import { CaseEvents } from '../src/cases/case-events';
import { CaseReader } from '../src/cases/case-reader';
import { CaseStore } from '../src/cases/case-store';
import { CuratorMetrics } from '../src/curator.metrics';
import { CURATOR_MIGRATIONS } from '../src/db/migrations';
import { type JoinEvent, JoinService } from '../src/ingest/join.service';
import { feedbackEvent, freshDatabase, interactionEvent, uniqueRoute } from './curator-test-kit';

/**
 * A batch of events (what one Kafka batch hands the join) must leave exactly what handling its
 * events one at a time leaves: the same votes, cases, links in the same order, and the same case
 * events with the same contents, in the same order. The same events go to two fresh databases on
 * the real Postgres, one at a time into one and as a single batch into the other.
 */
interface Sink {
  db: Awaited<ReturnType<typeof freshDatabase>>;
  sql: SqlDatabase;
  bus: EventBus;
  joins: JoinService;
  published: EvalCaseEvent[];
  ids: string[];
}

const NOW = Date.parse('2026-12-01T12:00:00.000Z');
const sinks: Sink[] = [];

async function openSink(): Promise<Sink> {
  const db = await freshDatabase();
  const sql = await createSqlDatabase({ url: db.url });
  await migrate(sql, CURATOR_MIGRATIONS);
  const bus = await createEventBus({ source: 'join-batch-test' });
  const published: EvalCaseEvent[] = [];
  const ids: string[] = [];
  await bus.subscribe({
    group: 'join-batch-test',
    topics: [Topics.evalCases],
    handler: async (event) => {
      ids.push(event.id);
      published.push(event.data as EvalCaseEvent);
    },
  });
  const joins = new JoinService(
    sql,
    new Redactor({ enabled: true, extraPatterns: [] }),
    new CaseStore(),
    new CaseReader(),
    new CaseEvents(sql, bus),
    new CuratorMetrics(new Registry(), () => Promise.resolve(0)),
    { now: () => NOW },
  );
  const sink = { db, sql, bus, joins, published, ids };
  sinks.push(sink);
  return sink;
}

afterAll(async () => {
  for (const s of sinks) {
    await s.bus.close();
    await s.sql.close();
    await s.db.drop();
  }
});

/** Everything the join left, with case ids replaced by their route and input hash (they are random). */
async function state(s: Sink) {
  const q = async (text: string) => (await s.db.pool.query(text)).rows;
  const caseKey = new Map(
    (await q('select case_id, route, input_hash from eval_cases')).map((r) => [
      r.case_id as string,
      `${r.route as string}/${r.input_hash as string}`,
    ]),
  );
  const key = (text: string) => text.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, (id) => caseKey.get(id) ?? id);
  await expectEventually(async () => {
    expect((await q('select count(*)::int as n from case_event_outbox'))[0]!.n).toBe(0);
  });
  return {
    feedback: await q(
      `select feedback_id, interaction_id, rating, reasons, comment, revision, join_state, joined_at
       from feedback order by feedback_id`,
    ),
    interactions: await q('select interaction_id, route, input, output from interactions order by 1'),
    cases: (
      await q(
        `select route, input_hash, status, reject_reason, first_seen_at, last_seen_at, updated_at, variant
         from eval_cases order by route, input_hash`,
      )
    ).map((r) => JSON.stringify(r)),
    links: (await q('select case_id, feedback_id, interaction_id from case_feedback order by seq')).map((r) =>
      key(JSON.stringify(r)),
    ),
    // in order per case (the bus keeps order per key, i.e. per case, not across cases)
    events: s.ids
      .map((id, i) => key(`${id} ${JSON.stringify(s.published[i])}`))
      .map((e, i) => ({ e, i, c: e.slice(0, e.indexOf(':')) }))
      .sort((x, y) => x.c.localeCompare(y.c) || x.i - y.i)
      .map(({ e }) => e),
  };
}

const at = (ms: number) => new Date(NOW - ms).toISOString();

it('stores a batch of interactions and votes exactly as one event at a time', async () => {
  const route = uniqueRoute('batch');
  const same = 'How do I reset my password? It says error.';
  const twin = 'how do i reset my password ?? it says error!!';
  const i = (content: string, over: Partial<InteractionEvent> = {}) =>
    interactionEvent(route, { content, ...over });
  const v = (it: InteractionEvent, over: Partial<FeedbackEvent>) => feedbackEvent(it, over);

  // before the batch: a case that votes in the batch merge into, and a vote waiting for its interaction
  const old = i('Where is my invoice?');
  const late = i('Cancel my order please, it is urgent.');
  const before: JoinEvent[] = [
    { kind: 'interaction', data: old },
    { kind: 'feedback', data: v(old, { created_at: at(50_000), reasons: ['outdated'] }) },
    { kind: 'feedback', data: v(late, { created_at: at(40_000), comment: 'wrong: mail me at a@b.example' }) },
  ];

  const a = i(same);
  const b = i(twin); // same words: merges into a's case
  const c = i('A question of its own, answered badly.');
  const direct = interactionEvent(null, { content: 'No route: no case.' });
  const oldAgain = i('Where is my invoice?'); // another interaction with the old case's input
  const early = i('Asked before its interaction arrived.');
  const flipped = v(c, { created_at: at(9_000) });
  const batch: JoinEvent[] = [
    { kind: 'interaction', data: a },
    { kind: 'interaction', data: b },
    { kind: 'interaction', data: c },
    { kind: 'interaction', data: direct },
    { kind: 'feedback', data: v(b, { created_at: at(20_000), reasons: ['too_long'] }) },
    { kind: 'feedback', data: v(a, { created_at: at(30_000), comment: 'see HC-12' }) },
    { kind: 'feedback', data: flipped },
    { kind: 'feedback', data: v(direct, { created_at: at(8_000) }) },
    { kind: 'feedback', data: v(oldAgain, { created_at: at(7_000) }) }, // waits: its interaction comes next
    { kind: 'interaction', data: oldAgain },
    { kind: 'interaction', data: late }, // joins the vote waiting from before the batch
    { kind: 'feedback', data: v(early, { created_at: at(6_000), rating: 'up' }) },
    { kind: 'interaction', data: early },
    { kind: 'feedback', data: { ...flipped, rating: 'up', revision: 2 } }, // withdraws c's case
    { kind: 'feedback', data: flipped }, // a stale redelivery: no effect
    { kind: 'interaction', data: a }, // a redelivery: no effect
    { kind: 'feedback', data: v(a, { created_at: at(1_000), reasons: ['unhelpful'] }) },
  ];

  const [one, all] = [await openSink(), await openSink()];
  for (const s of [one, all]) for (const e of before) await s.joins.batch([e]);
  for (const e of batch) await one.joins.batch([e]);
  await all.joins.batch(batch);

  const expected = await state(one);
  const actual = await state(all);
  // the scenario reaches every path: created, merged (within the batch and into an older case),
  // withdrawn, a waiting vote joined by its interaction, and votes with no case
  const actions = (events: string[]) =>
    events.map((e) => (JSON.parse(e.slice(e.indexOf(' ') + 1)) as EvalCaseEvent).action).sort();
  expect(actions(expected.events)).toEqual(
    ['created', 'created', 'merged', 'created', 'merged', 'created', 'rejected', 'merged'].sort(),
  );
  expect(actual).toEqual(expected);
});

it('stores a full-size Kafka batch (1,000 interactions, 400 votes, near-duplicates, a PII-laden kilobyte each) as one event at a time', async () => {
  // the size the consumer hands over after an outage (kafkajs: up to ~1 MB per partition fetch),
  // not just the friendly dozen above: the batch statements carry hundreds of rows each
  const route = uniqueRoute('full');
  const padding = ' Account details follow: call +1 415 555 0100 or mail me at jo@example.com. '.repeat(14);
  const topics = Array.from(
    { length: 60 },
    (_, n) => `Question ${n}: why does the export fail on step ${n}?`,
  );
  const batch: JoinEvent[] = [];
  for (let n = 0; n < 1_000; n++) {
    // 60 questions over and over; a third of the disliked ones in other case and punctuation
    const text = n % 15 === 10 ? topics[n % 60]!.toUpperCase().replace('?', '!!') : topics[n % 60]!;
    const it = interactionEvent(route, { content: `${text}${padding}` });
    batch.push({ kind: 'interaction', data: it });
    if (n % 5 === 0)
      batch.push({ kind: 'feedback', data: feedbackEvent(it, { created_at: at(n), comment: `bad ${n}` }) });
    if (n % 5 === 1)
      batch.push({ kind: 'feedback', data: feedbackEvent(it, { created_at: at(n), rating: 'up' }) });
  }
  const [one, all] = [await openSink(), await openSink()];
  for (const e of batch) await one.joins.batch([e]);
  await all.joins.batch(batch);

  const expected = await state(one);
  expect(expected.links).toHaveLength(200);
  // the 200 dislikes ask 12 of the questions: everything else merges, near-duplicates included
  expect(expected.cases).toHaveLength(12);
  expect(await state(all)).toEqual(expected);
}, 120_000);
