// Test double for the curator's HTTP API, for the console's component tests only: an injectable
// `fetch` that checks the bearer token, records every request and answers from fixtures.
import type {
  CaseList,
  EvalCase,
  EvalCaseDetail,
  EvalRunSummary,
  ParkedVote,
  RolloutState,
  VoteCounts,
} from '@flywheel/contracts';
import type { Fetch, RequestOptions, ResponseLike } from '../api';
import type { TokenStore } from '../session';

export const TOKEN = 'admin-token-for-tests';

export interface Recorded {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization: string | undefined;
  body: unknown;
}

export interface Reply {
  status: number;
  body: unknown;
}

export type Handler = (req: Recorded) => Reply | undefined;

const T0 = '2025-06-01T10:00:00.000Z';
const T1 = '2025-06-02T09:30:00.000Z';

export function makeCase(overrides: Partial<EvalCase> = {}): EvalCase {
  const id = overrides.id ?? 'case-1';
  return {
    id,
    route: 'support',
    status: 'new',
    count: 1,
    input: {
      messages: [
        { role: 'system', content: 'You answer questions about orders.' },
        { role: 'user', content: `When will order ${id} arrive?` },
      ],
    },
    output: 'It arrives tomorrow.',
    reasons: ['incorrect'],
    comment: 'It already arrived last week.',
    correction: 'Your order was delivered on 24 May.',
    variant: 'candidate',
    model: 'gpt-4o-mini',
    assertions: [],
    lineage: {
      interaction_ids: [`int-${id}`],
      feedback_ids: [`fb-${id}`],
      first_seen_at: T0,
      last_seen_at: T1,
    },
    created_at: T0,
    updated_at: T1,
    ...overrides,
  };
}

export function makeDetail(overrides: Partial<EvalCaseDetail> = {}): EvalCaseDetail {
  const base = makeCase(overrides);
  return {
    ...base,
    feedback: [
      {
        feedback_id: base.lineage.feedback_ids[0] ?? 'fb',
        interaction_id: base.lineage.interaction_ids[0] ?? 'int',
        rating: 'down',
        reasons: base.reasons,
        ...(base.comment === undefined ? {} : { comment: base.comment }),
        ...(base.correction === undefined ? {} : { correction: base.correction }),
        variant: base.variant,
        model: base.model,
        created_at: T1,
      },
    ],
    suggested_assertions: [
      { type: 'contains', value: 'Your order was delivered on 24 May.' },
      { type: 'similar', value: 'Your order was delivered on 24 May.', threshold: 0.6 },
    ],
    ...overrides,
  };
}

export function makeList(cases: EvalCase[], counts: Partial<CaseList['counts']> = {}): CaseList {
  const tally = (pick: (c: EvalCase) => string[]) => {
    const out: Record<string, number> = {};
    for (const c of cases) for (const k of pick(c)) out[k] = (out[k] ?? 0) + 1;
    return out;
  };
  return {
    cases,
    total: cases.length,
    counts: {
      by_status: tally((c) => [c.status]),
      by_route: tally((c) => [c.route]),
      by_variant: tally((c) => [c.variant]),
      by_reason: tally((c) => c.reasons),
      ...counts,
    },
  };
}

export interface FakeCuratorFixtures {
  list?: CaseList;
  details?: EvalCaseDetail[];
  parked?: ParkedVote[];
  runs?: EvalRunSummary[];
  exports?: Record<string, string>;
  votes?: VoteCounts['votes'];
  rollouts?: RolloutState[];
}

/**
 * A fake curator. Requests without `Bearer TOKEN` get 401; `on()` handlers (newest first) can
 * answer anything before the fixtures do.
 */
export function fakeCurator(fixtures: FakeCuratorFixtures = {}) {
  const requests: Recorded[] = [];
  const handlers: Handler[] = [];
  const list = fixtures.list ?? makeList([makeCase()]);
  const details = new Map((fixtures.details ?? list.cases.map((c) => makeDetail(c))).map((d) => [d.id, d]));

  const answer = (req: Recorded): Reply => {
    for (const handler of handlers) {
      const reply = handler(req);
      if (reply) return reply;
    }
    if (req.authorization !== `Bearer ${TOKEN}`)
      return error(401, 'unauthorized', 'missing or wrong admin token');
    const caseMatch = /^\/v1\/cases\/([^/]+)(?:\/(accept|reject))?$/.exec(req.path);
    if (req.method === 'GET' && req.path === '/v1/cases') return { status: 200, body: list };
    if (req.method === 'POST' && req.path === '/v1/cases/bulk') {
      const { ids } = req.body as { ids: string[] };
      return { status: 200, body: { results: ids.map((id) => ({ id, ok: true })) } };
    }
    if (caseMatch) {
      const detail = details.get(decodeURIComponent(caseMatch[1] ?? ''));
      if (!detail) return error(404, 'not_found', 'no such case');
      if (req.method === 'GET' && !caseMatch[2]) return { status: 200, body: detail };
      if (req.method === 'POST' && caseMatch[2] === 'accept') {
        return { status: 200, body: { ...detail, status: 'accepted', ...(req.body as object) } };
      }
      if (req.method === 'POST' && caseMatch[2] === 'reject') {
        const { reason } = req.body as { reason: string };
        return { status: 200, body: { ...detail, status: 'rejected', reject_reason: reason } };
      }
    }
    if (req.method === 'GET' && req.path === '/v1/parked') {
      const parked = fixtures.parked ?? [];
      return { status: 200, body: { parked, total: parked.length } };
    }
    if (req.method === 'GET' && req.path === '/v1/votes')
      return { status: 200, body: { votes: fixtures.votes ?? [] } };
    if (req.method === 'GET' && req.path === '/v1/rollouts')
      return { status: 200, body: { rollouts: fixtures.rollouts ?? [] } };
    if (req.method === 'GET' && req.path === '/v1/eval-runs')
      return { status: 200, body: { runs: fixtures.runs ?? [] } };
    const setMatch = /^\/v1\/eval-sets\/([^/]+)$/.exec(req.path);
    if (req.method === 'GET' && setMatch) {
      return { status: 200, body: fixtures.exports?.[decodeURIComponent(setMatch[1] ?? '')] ?? '' };
    }
    return error(404, 'not_found', `no route ${req.method} ${req.path}`);
  };

  const fetch: Fetch = async (url: string, init: RequestOptions) => {
    const parsed = new URL(url, 'http://curator.test');
    const req: Recorded = {
      method: init.method,
      path: parsed.pathname,
      query: Object.fromEntries(parsed.searchParams),
      authorization: init.headers.authorization,
      body: init.body === undefined ? undefined : JSON.parse(init.body),
    };
    requests.push(req);
    return response(answer(req));
  };

  return {
    fetch,
    requests,
    /** Answers requests `handler` returns a reply for, ahead of the fixtures. */
    on(handler: Handler) {
      handlers.unshift(handler);
    },
    /** The recorded requests of one method and path. */
    calls(method: string, path: string) {
      return requests.filter((r) => r.method === method && r.path === path);
    },
  };
}

export function error(status: number, type: string, message: string): Reply {
  return { status, body: { error: { type, message } } };
}

function response({ status, body }: Reply): ResponseLike {
  return {
    ok: status >= 200 && status < 300,
    status,
    statusText: '',
    json: async () => (typeof body === 'string' ? JSON.parse(body) : body),
    text: async () => (typeof body === 'string' ? body : JSON.stringify(body)),
  };
}

/** An in-memory token store, optionally signed in already. */
export function memoryTokens(initial: string | null = TOKEN): TokenStore & { value: string | null } {
  const store = {
    value: initial,
    get: () => store.value,
    set: (token: string) => {
      store.value = token;
    },
    clear: () => {
      store.value = null;
    },
  };
  return store;
}
