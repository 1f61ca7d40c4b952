import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BulkCaseResult,
  type CaseList,
  type EvalCase,
  type EvalCaseDetail,
  type EvalRun,
  type EvalRunList,
  EvalSetCase,
  type FeedbackEvent,
} from '@flywheel/contracts';
import { expectEventually } from '@flywheel/platform/testing';
import { parse } from 'yaml';
import {
  type ApiResponse,
  EvalCaseTopic,
  feedbackEvent,
  freshDatabase,
  interactionEvent,
  Publisher,
  type RunningCurator,
  startCurator,
  waitCaughtUp,
  testRoute,
  uniqueRoute,
} from './curator-test-kit';

/** The triage API, exports, eval runs, the console and the ops endpoints, over HTTP. */
const route = uniqueRoute('triage');
let db: Awaited<ReturnType<typeof freshDatabase>>;
let curator: RunningCurator;
let publisher: Publisher;
let caseTopic: EvalCaseTopic;
let consoleDir: string;

beforeAll(async () => {
  consoleDir = mkdtempSync(join(tmpdir(), 'curator-console-'));
  mkdirSync(join(consoleDir, 'assets'));
  writeFileSync(
    join(consoleDir, 'index.html'),
    '<!doctype html><html><head><script type="module" src="/console/assets/app-1a2b3c.js"></script></head><body><div id="root"></div></body></html>',
  );
  writeFileSync(join(consoleDir, 'assets', 'app-1a2b3c.js'), 'console.log("console");');
  writeFileSync(join(consoleDir, '.env'), 'SECRET=1');
  db = await freshDatabase();
  [publisher, caseTopic] = await Promise.all([Publisher.open(), EvalCaseTopic.open()]);
  curator = await startCurator({
    databaseUrl: db.url,
    routes: { [route]: testRoute() },
    env: { CURATOR_CONSOLE_DIR: consoleDir },
  });
  // a new group first reads what other suites already published to the shared topics
  await waitCaughtUp(curator.groupId, 150_000);
}, 180_000);
afterAll(async () => {
  await curator?.close();
  await Promise.all([publisher?.close(), caseTopic?.close()]);
  await db?.drop();
  rmSync(consoleDir, { recursive: true, force: true });
});

/** A new case from a real interaction and dislike, through Kafka. */
async function newCase(over: Partial<FeedbackEvent> = {}, variant = 'control'): Promise<EvalCase> {
  const interaction = interactionEvent(route, { variant });
  const vote = feedbackEvent(interaction, over);
  await publisher.interaction(interaction);
  await publisher.feedback(vote);
  return expectEventually(
    async () => {
      const list = await curator.api<CaseList>(`/v1/cases?route=${route}&limit=200`);
      const found = list.body.cases.find((c) => c.lineage.feedback_ids.includes(vote.feedback_id));
      expect(found).toBeDefined();
      return found!;
    },
    { timeoutMs: 15_000 },
  );
}

const post = <T>(path: string, body: unknown) =>
  curator.api<T>(path, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
const issuePaths = (res: ApiResponse<unknown>) =>
  (res.body as { error: { details?: { issues: { path: string }[] } } }).error.details?.issues.map(
    (i) => i.path,
  );
const errorType = (res: ApiResponse<unknown>) => (res.body as { error?: { type: string } }).error?.type;

describe('authorization', () => {
  it.each([
    ['GET', '/v1/cases'],
    ['GET', '/v1/cases/some-id'],
    ['POST', '/v1/cases/some-id/accept'],
    ['POST', '/v1/cases/bulk'],
    ['GET', '/v1/parked'],
    ['GET', '/v1/votes'],
    ['GET', `/v1/eval-sets/${route}`],
    ['GET', '/v1/eval-runs'],
    ['POST', '/v1/eval-runs'],
  ])('%s %s needs the admin token', async (method, path) => {
    for (const token of [null, 'wrong-token', `${'x'}`]) {
      const res = await curator.api(path, { method, token, ...(method === 'POST' && { body: '{}' }) });
      expect(res.status).toBe(401);
      expect(errorType(res)).toBe('unauthorized');
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
    }
    const basic = await curator.api(path, {
      method,
      token: null,
      headers: { authorization: 'Basic YWRtaW46YWRtaW4=' },
    });
    expect(basic.status).toBe(401);
  });
});

describe('GET /v1/cases', () => {
  it('filters by status, variant, reason and time, and counts by everything but status', async () => {
    const a = await newCase({ reasons: ['unsafe'] }, 'candidate');
    const b = await newCase({ reasons: ['unhelpful'] }, 'candidate');
    await post(`/v1/cases/${b.id}/reject`, { reason: 'not a real problem' });
    const res = await curator.api<CaseList>(`/v1/cases?route=${route}&variant=candidate&status=new`);
    expect(res.status).toBe(200);
    expect(res.body.cases.map((c) => c.id)).toEqual([a.id]);
    expect(res.body.total).toBe(1);
    expect(res.body.counts.by_status).toEqual({ new: 1, rejected: 1 });
    expect(res.body.counts.by_reason).toEqual({ unsafe: 1, unhelpful: 1 });
    const byReason = await curator.api<CaseList>(`/v1/cases?route=${route}&reason=unhelpful`);
    expect(byReason.body.cases.map((c) => c.id)).toEqual([b.id]);
    const future = await curator.api<CaseList>(`/v1/cases?route=${route}&since=2999-01-01`);
    expect(future.body.total).toBe(0);
    const past = await curator.api<CaseList>(`/v1/cases?route=${route}&until=2000-01-01T00:00:00Z`);
    expect(past.body.total).toBe(0);
    const page = await curator.api<CaseList>(`/v1/cases?route=${route}&variant=candidate&limit=1&offset=1`);
    expect(page.body.cases).toHaveLength(1);
    expect(page.body.total).toBe(2);
  });

  it.each([
    ['status=bogus', ['status']],
    ['limit=0', ['limit']],
    ['limit=201', ['limit']],
    ['offset=-1', ['offset']],
    ['since=yesterday', ['since']],
    ['route=bad%20route', ['route']],
    ['colour=red', ['(root)']],
    ['limit=1&limit=2', ['limit']],
  ])('answers ?%s with 400 naming the field', async (query, paths) => {
    const res = await curator.api(`/v1/cases?${query}`);
    expect(res.status).toBe(400);
    expect(errorType(res)).toBe('invalid_request');
    expect(issuePaths(res)).toEqual(paths);
  });
});

describe('accept and reject', () => {
  it('accepts a new case with assertions; expected defaults to the correction', async () => {
    const c = await newCase({ reasons: ['incorrect'], correction: 'July 1969' });
    const d = await curator.api<EvalCaseDetail>(`/v1/cases/${c.id}`);
    expect(d.body.suggested_assertions).toEqual([{ type: 'contains', value: 'July 1969' }]);
    const res = await post<EvalCase>(`/v1/cases/${c.id}/accept`, { assertions: d.body.suggested_assertions });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: c.id,
      status: 'accepted',
      expected: 'July 1969',
      assertions: [{ type: 'contains', value: 'July 1969' }],
      triaged_at: expect.any(String),
    });
    expect((await caseTopic.waitFor(c.id, 'accepted')).event).toMatchObject({ status: 'accepted', count: 1 });
  });

  it('re-accepts an accepted case with new assertions, rejects it out of the set, and then refuses both (409)', async () => {
    const c = await newCase();
    expect(
      (await post(`/v1/cases/${c.id}/accept`, { assertions: [{ type: 'equals', value: 'a' }] })).status,
    ).toBe(200);
    const again = await post<EvalCase>(`/v1/cases/${c.id}/accept`, {
      expected: 'b',
      assertions: [{ type: 'regex', pattern: '^b$', flags: 'i' }],
    });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({
      expected: 'b',
      assertions: [{ type: 'regex', pattern: '^b$', flags: 'i' }],
    });
    const rejected = await post<EvalCase>(`/v1/cases/${c.id}/reject`, { reason: 'flaky question' });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ status: 'rejected', reject_reason: 'flaky question' });
    const accept = await post(`/v1/cases/${c.id}/accept`, { assertions: [{ type: 'equals', value: 'a' }] });
    expect([accept.status, errorType(accept)]).toEqual([409, 'conflict']);
    const reject = await post(`/v1/cases/${c.id}/reject`, { reason: 'again' });
    expect([reject.status, errorType(reject)]).toEqual([409, 'conflict']);
  });

  it('answers unknown cases with 404', async () => {
    for (const res of [
      await curator.api('/v1/cases/no-such-case'),
      await post('/v1/cases/no-such-case/accept', { assertions: [{ type: 'equals', value: 'a' }] }),
      await post('/v1/cases/no-such-case/reject', { reason: 'x' }),
    ]) {
      expect([res.status, errorType(res)]).toEqual([404, 'not_found']);
    }
  });

  it.each([
    ['no assertions', 'accept', { assertions: [] }, ['assertions']],
    ['an unknown assertion type', 'accept', { assertions: [{ type: 'vibes' }] }, ['assertions.0.type']],
    [
      'an invalid regex',
      'accept',
      { assertions: [{ type: 'regex', pattern: '(' }] },
      ['assertions.0.pattern'],
    ],
    [
      'a threshold over 1',
      'accept',
      { assertions: [{ type: 'similar', value: 'a', threshold: 2 }] },
      ['assertions.0.threshold'],
    ],
    ['an unknown field', 'accept', { assertions: [{ type: 'equals', value: 'a' }], extra: 1 }, ['(root)']],
    ['an empty reason', 'reject', { reason: '' }, ['reason']],
    ['no body', 'reject', 'null', undefined],
  ])('answers %s with 400', async (_name, action, body, paths) => {
    const c = await firstNewCase();
    const res = await post(`/v1/cases/${c.id}/${action}`, body);
    expect(res.status).toBe(400);
    expect(errorType(res)).toBe('invalid_request');
    expect(issuePaths(res)).toEqual(paths);
  });

  it('answers malformed JSON with 400 invalid_json', async () => {
    const c = await firstNewCase();
    const res = await post(`/v1/cases/${c.id}/reject`, '{"reason": ');
    expect([res.status, errorType(res)]).toEqual([400, 'invalid_json']);
  });
});

let spare: EvalCase | undefined;
async function firstNewCase(): Promise<EvalCase> {
  spare ??= await newCase();
  return spare;
}

describe('POST /v1/cases/bulk', () => {
  it('accepts each case with its suggested assertions, reporting each one', async () => {
    const withCorrection = await newCase({ reasons: ['incorrect'], correction: '42' });
    const nothingSuggested = await newCase({ reasons: ['other'] });
    const res = await post<BulkCaseResult>('/v1/cases/bulk', {
      action: 'accept',
      ids: [withCorrection.id, nothingSuggested.id, 'no-such-case'],
    });
    expect(res.status).toBe(200);
    expect(res.body.results).toEqual([
      { id: withCorrection.id, ok: true },
      {
        id: nothingSuggested.id,
        ok: false,
        error: expect.stringMatching(/^invalid_request: .*explicit assertions/),
      },
      { id: 'no-such-case', ok: false, error: expect.stringMatching(/^not_found/) },
    ]);
    const accepted = await curator.api<EvalCase>(`/v1/cases/${withCorrection.id}`);
    expect(accepted.body).toMatchObject({
      status: 'accepted',
      assertions: [{ type: 'contains', value: '42' }],
    });
  });

  it('accepts with given assertions, and rejects with a reason', async () => {
    const [a, b] = [await newCase({ reasons: ['other'] }), await newCase({ reasons: ['other'] })];
    const accepted = await post<BulkCaseResult>('/v1/cases/bulk', {
      action: 'accept',
      ids: [a.id],
      assertions: [{ type: 'not-contains', value: 'sorry' }],
    });
    expect(accepted.body.results).toEqual([{ id: a.id, ok: true }]);
    const rejected = await post<BulkCaseResult>('/v1/cases/bulk', {
      action: 'reject',
      ids: [a.id, b.id],
      reason: 'dupes',
    });
    expect(rejected.body.results).toEqual([
      { id: a.id, ok: true },
      { id: b.id, ok: true },
    ]);
    const again = await post<BulkCaseResult>('/v1/cases/bulk', {
      action: 'reject',
      ids: [b.id],
      reason: 'dupes',
    });
    expect(again.body.results).toEqual([{ id: b.id, ok: false, error: expect.stringMatching(/^conflict/) }]);
  });

  it.each([
    [{ action: 'archive', ids: ['a'] }, ['action']],
    [{ action: 'reject', ids: [] }, ['ids', 'reason']],
    [{ action: 'accept', ids: ['a'], assertions: [] }, ['assertions']],
  ])('answers %j with 400', async (body, paths) => {
    const res = await post('/v1/cases/bulk', body);
    expect(res.status).toBe(400);
    expect(issuePaths(res)?.sort()).toEqual(paths);
  });
});

describe('GET /v1/eval-sets/{route}', () => {
  it('exports accepted cases as JSON Lines and as a promptfoo tests file', async () => {
    const strict = await newCase({ reasons: ['wrong_format'] }, 'strict');
    await post(`/v1/cases/${strict.id}/accept`, { assertions: [{ type: 'json-schema' }] });
    const jsonl = await curator.api<string>(`/v1/eval-sets/${route}?format=jsonl`);
    expect(jsonl.status).toBe(200);
    expect(jsonl.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    const lines = jsonl.text
      .trimEnd()
      .split('\n')
      .map((l) => EvalSetCase.parse(JSON.parse(l)));
    const all = await curator.api<CaseList>(`/v1/cases?route=${route}&status=accepted&limit=200`);
    expect(lines.map((l) => l.case_id).sort()).toEqual(all.body.cases.map((c) => c.id).sort());
    expect(lines.find((l) => l.case_id === strict.id)).toMatchObject({
      variant: 'strict',
      assertions: [{ type: 'json-schema' }],
    });

    const promptfoo = await curator.api<string>(
      `/v1/eval-sets/${route}?format=promptfoo&gateway_url=${encodeURIComponent('https://llm.example.com/')}&variant=strict`,
    );
    expect(promptfoo.status).toBe(200);
    expect(promptfoo.headers.get('content-type')).toBe('application/yaml; charset=utf-8');
    const config = parse(promptfoo.text) as {
      prompts: { raw: string }[];
      providers: { id: string; config: Record<string, unknown> }[];
      tests: { vars: unknown; assert: { type: string; value?: unknown }[]; metadata: { case_id: string } }[];
    };
    expect(config.prompts).toEqual([expect.objectContaining({ raw: '{{ messages | dump }}' })]);
    expect(config.providers).toEqual([
      expect.objectContaining({
        id: `openai:chat:route:${route}`,
        config: {
          apiBaseUrl: 'https://llm.example.com/v1',
          apiKeyEnvar: 'FLYWHEEL_ADMIN_TOKEN',
          headers: { 'x-flywheel-variant': 'strict' },
        },
      }),
    ]);
    expect(config.tests).toHaveLength(lines.length);
    const test = config.tests.find((t) => t.metadata.case_id === strict.id)!;
    expect(test.assert).toEqual([{ type: 'is-json', value: { type: 'object', required: ['priority'] } }]);
    expect(test.vars).toEqual({ messages: strict.input.messages });

    const unknownVariant = await curator.api(`/v1/eval-sets/${route}?format=promptfoo&variant=nope`);
    expect(unknownVariant.status).toBe(400);
    const badUrl = await curator.api(`/v1/eval-sets/${route}?format=promptfoo&gateway_url=ftp://x`);
    expect([badUrl.status, issuePaths(badUrl)]).toEqual([400, ['gateway_url']]);
  });

  it('answers an unknown route with 404 and a bad format with 400', async () => {
    expect((await curator.api('/v1/eval-sets/no-such-route')).status).toBe(404);
    const bad = await curator.api(`/v1/eval-sets/${route}?format=csv`);
    expect([bad.status, issuePaths(bad)]).toEqual([400, ['format']]);
  });
});

describe('eval runs', () => {
  const run = (id: string, over: Partial<EvalRun> = {}): EvalRun => ({
    id,
    route,
    variant: 'candidate',
    started_at: '2026-11-20T10:00:00.000Z',
    finished_at: '2026-11-20T10:01:00.000Z',
    repeat: 3,
    min_pass_rate: 0.9,
    case_threshold: 0.67,
    total: 2,
    passed: 1,
    failed: 1,
    flaky: 0,
    errored: 0,
    pass_rate: 0.5,
    regressions: ['case-b'],
    gate: 'fail',
    results: [
      {
        case_id: 'case-a',
        outcome: 'pass',
        runs: 3,
        passes: 3,
        assertions: [{ type: 'contains', pass: true }],
        output: 'ok',
        latency_ms: 12,
      },
      {
        case_id: 'case-b',
        outcome: 'fail',
        runs: 3,
        passes: 0,
        assertions: [{ type: 'similar', pass: false, score: 0.2, message: 'too different' }],
        output: null,
        error: 'upstream 500',
        latency_ms: 30,
      },
    ],
    ...over,
  });

  it('stores a run idempotently on its id and reads it back', async () => {
    const id = `run-${route}-1`;
    const first = await post<EvalRun>('/v1/eval-runs', run(id));
    expect(first.status).toBe(201);
    expect(first.body).toEqual(run(id));
    const again = await post<EvalRun>('/v1/eval-runs', run(id));
    expect([again.status, again.body]).toEqual([200, run(id)]);
    const different = await post('/v1/eval-runs', run(id, { gate: 'pass' }));
    expect([different.status, errorType(different)]).toEqual([409, 'conflict']);
    const got = await curator.api<EvalRun>(`/v1/eval-runs/${id}`);
    expect([got.status, got.body]).toEqual([200, run(id)]);

    await post('/v1/eval-runs', run(`run-${route}-2`, { started_at: '2026-11-21T10:00:00.000Z' }));
    await post('/v1/eval-runs', run(`run-other-${route}`, { route: `${route}-other` }));
    const list = await curator.api<EvalRunList>(`/v1/eval-runs?route=${route}`);
    expect(list.body.runs.map((r) => r.id)).toEqual([`run-${route}-2`, id]);
    expect(list.body.runs[0]).not.toHaveProperty('results');
    const limited = await curator.api<EvalRunList>(`/v1/eval-runs?route=${route}&limit=1`);
    expect(limited.body.runs).toHaveLength(1);
  });

  it('answers bad runs with 400 and unknown ids with 404', async () => {
    const bad = await post('/v1/eval-runs', { ...run('r'), pass_rate: 2, results: [{ case_id: 'x' }] });
    expect(bad.status).toBe(400);
    expect(issuePaths(bad)).toEqual(expect.arrayContaining(['pass_rate', 'results.0.outcome']));
    expect((await curator.api('/v1/eval-runs/no-such-run')).status).toBe(404);
    expect((await curator.api('/v1/eval-runs?limit=abc')).status).toBe(400);
  });
});

describe('GET /console', () => {
  it('serves index.html without a token, with a strict CSP and nosniff', async () => {
    for (const path of ['/console', '/console/', '/console/cases/abc']) {
      const res = await curator.api<string>(path, { token: null });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.text).toContain('<div id="root">');
      const csp = res.headers.get('content-security-policy')!;
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('serves hashed assets for a year, and nothing outside the console directory', async () => {
    const js = await curator.api<string>('/console/assets/app-1a2b3c.js', { token: null });
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^(application|text)\/javascript/);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(js.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await curator.api('/console/assets/missing.js', { token: null })).status).toBe(404);
    expect((await curator.api('/console/.env', { token: null })).status).not.toBe(200);
    const traversal = await fetch(`${curator.url}/console/..%2f..%2fpackage.json`);
    expect(traversal.status).not.toBe(200);
  });

  it('answers 503 saying to build it while the console is missing', async () => {
    const moved = `${consoleDir}-moved`;
    renameSync(consoleDir, moved);
    try {
      for (const path of ['/console', '/console/assets/app-1a2b3c.js']) {
        const res = await curator.api<string>(path, { token: null });
        expect(res.status).toBe(503);
        expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
        expect(res.text).toContain('npm run build');
      }
    } finally {
      renameSync(moved, consoleDir);
    }
    expect((await curator.api('/console', { token: null })).status).toBe(200);
  });
});

describe('ops endpoints', () => {
  it('serves healthz, readyz with the db and bus checks, docs and metrics', async () => {
    expect((await curator.api('/healthz', { token: null })).status).toBe(200);
    // anonymous callers learn ready or not, nothing more; the admin token shows the checks
    const anonymous = await curator.api('/readyz', { token: null });
    expect([anonymous.status, anonymous.body]).toEqual([200, { status: 'ready' }]);
    const ready = await curator.api<{ checks: Record<string, string> }>('/readyz');
    expect([ready.status, ready.body.checks]).toEqual([200, { db: 'ok', bus: 'ok' }]);
    const docs = await curator.api<{ paths: Record<string, unknown> }>('/docs', { token: null });
    expect(Object.keys(docs.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/cases',
        '/v1/cases/{id}/accept',
        '/v1/cases/bulk',
        '/v1/eval-sets/{route}',
        '/v1/eval-runs',
      ]),
    );
    const metrics = (await curator.api<string>('/metrics', { token: null })).text;
    expect(metrics).toMatch(
      new RegExp(`flywheel_curator_cases_total\\{route="${route}",action="created"\\} [1-9]`),
    );
    expect(metrics).toMatch(
      new RegExp(`flywheel_curator_cases_total\\{route="${route}",action="accepted"\\} [1-9]`),
    );
    expect(metrics).toMatch(/flywheel_curator_join_lag_seconds_count [1-9]/);
    expect(metrics).toContain('flywheel_curator_parked_votes');
  });
});

describe('readiness', () => {
  // last in this file: it takes the curator's database away
  it('answers /readyz with 503 naming the database while it is gone', async () => {
    await db.drop();
    // the checks' last round is reused for a second
    await expectEventually(
      async () => {
        const res = await curator.api<{ status: string; checks: Record<string, string> }>('/readyz');
        expect(res.status).toBe(503);
        expect(res.body.status).toBe('not_ready');
        expect(res.body.checks.bus).toBe('ok');
        expect(res.body.checks.db).not.toBe('ok');
      },
      { timeoutMs: 15_000 },
    );
    const anonymous = await curator.api('/readyz', { token: null });
    expect([anonymous.status, anonymous.body]).toEqual([503, { status: 'not_ready' }]);
  });
});
