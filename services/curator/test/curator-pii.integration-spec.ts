import type { CaseList, ParkedList } from '@flywheel/contracts';
import { expectEventually } from '@flywheel/platform/testing';
import { PII_CORPUS } from '@flywheel/platform';
import {
  feedbackEvent,
  freshDatabase,
  interactionEvent,
  Publisher,
  type RunningCurator,
  startCurator,
  uniqueRoute,
  waitCaughtUp,
} from './curator-test-kit';

/**
 * Every PII sample goes through the real pipeline (Kafka → curator → Postgres) in an input, an
 * output, a comment and a correction; then every text and JSON column of every table of the
 * curator's database is searched for every raw substring. None may be there.
 */
let db: Awaited<ReturnType<typeof freshDatabase>>;
let curator: RunningCurator;
let publisher: Publisher;

beforeAll(async () => {
  db = await freshDatabase();
  publisher = await Publisher.open();
  curator = await startCurator({ databaseUrl: db.url, curator: { join_ttl_s: 1 } });
  await waitCaughtUp(curator.groupId);
}, 120_000);
afterAll(async () => {
  await curator?.close();
  await publisher?.close();
  await db?.drop();
});

it('stores no raw PII from inputs, outputs, comments or corrections in any column', async () => {
  expect(PII_CORPUS.length).toBeGreaterThanOrEqual(30);
  const route = uniqueRoute('pii');
  const parkedRoute = uniqueRoute('pii-parked');
  for (const [n, sample] of PII_CORPUS.entries()) {
    const text = `Sample ${n}: ${sample.text}`;
    // chat inputs and template variables (nested too), alternately
    const request =
      n % 2 === 0
        ? { messages: [{ role: 'user' as const, content: text }], stream: false }
        : { messages: [], input: { ticket: text, context: { notes: [text] } }, stream: false };
    const interaction = interactionEvent(route, { request, output: `Answer: ${sample.text}` });
    await publisher.interaction(interaction);
    await publisher.feedback(feedbackEvent(interaction, { comment: text.slice(0, 2000), correction: text }));
    // a vote that never joins is stored (and parked) with its comment too
    const orphan = interactionEvent(parkedRoute);
    await publisher.feedback(feedbackEvent(orphan, { comment: text.slice(0, 2000), correction: text }));
  }
  await expectEventually(
    async () => {
      const list = await curator.api<CaseList>(`/v1/cases?route=${route}&limit=200`);
      expect(list.body.cases.reduce((sum, c) => sum + c.count, 0)).toBe(PII_CORPUS.length);
      const parked = await curator.api<ParkedList>(`/v1/parked?route=${parkedRoute}&limit=200`);
      expect(parked.body.total).toBe(PII_CORPUS.length);
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );

  const { rows: columns } = await db.pool.query<{ table_name: string; column_name: string }>(
    `select table_name, column_name from information_schema.columns
     where table_schema = 'public' and data_type in ('text', 'character varying', 'json', 'jsonb')
     order by table_name, column_name`,
  );
  const tables = new Set(columns.map((c) => c.table_name));
  expect([...tables]).toEqual(
    expect.arrayContaining([
      'interactions',
      'feedback',
      'eval_cases',
      'eval_sets',
      'case_event_outbox',
      'eval_runs',
    ]),
  );
  const needles = PII_CORPUS.flatMap((s) => s.raw).flatMap((raw) => [raw, JSON.stringify(raw).slice(1, -1)]);
  const found: string[] = [];
  for (const { table_name, column_name } of columns) {
    const { rows } = await db.pool.query<{ needle: string }>(
      `select n.needle from unnest($1::text[]) as n(needle)
       where exists (select 1 from "${table_name}" t where strpos(t."${column_name}"::text, n.needle) > 0)`,
      [[...new Set(needles)]],
    );
    for (const { needle } of rows) found.push(`${table_name}.${column_name}: ${needle}`);
  }
  expect(found).toEqual([]);

  // the pipeline did store the (redacted) text: the scan looked at real data
  const { rows } = await db.pool.query<{ n: number }>(
    `select count(*)::int as n from feedback where comment like 'Sample %' and comment ~ '\\[[A-Z]+\\]'`,
  );
  expect(rows[0]!.n).toBeGreaterThanOrEqual(PII_CORPUS.length);
});
