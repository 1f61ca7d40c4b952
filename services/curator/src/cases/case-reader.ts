import type {
  Assertion,
  CaseFeedback,
  CaseInput,
  CaseList,
  CaseQuery,
  EvalCase,
  EvalCaseDetail,
  EvalCaseStatus,
  Rating,
} from '@flywheel/contracts';
import type { SqlExecutor } from '@flywheel/platform';
import { suggestAssertions } from '../triage/suggest-assertions';

export interface CaseRow {
  case_id: string;
  route: string;
  status: EvalCaseStatus;
  input: CaseInput;
  output: string | null;
  variant: string;
  model: string | null;
  flag_key: string | null;
  expected: string | null;
  assertions: Assertion[];
  reject_reason: string | null;
  first_seen_at: Date;
  last_seen_at: Date;
  created_at: Date;
  updated_at: Date;
  triaged_at: Date | null;
}

export interface LinkRow {
  case_id: string;
  feedback_id: string;
  interaction_id: string;
  rating: Rating;
  reasons: string[];
  comment: string | null;
  correction: string | null;
  variant: string;
  model: string | null;
  created_at: Date;
}

const CASE_COLUMNS = `c.case_id, c.route, c.status, c.input, c.output, c.variant, c.model, c.flag_key, c.expected,
  c.assertions, c.reject_reason, c.first_seen_at, c.last_seen_at, c.created_at, c.updated_at, c.triaged_at`;

type Filters = Omit<CaseQuery, 'limit' | 'offset'>;

/**
 * Reads cases as the API shows them. A case's count, reasons, comment, correction and lineage
 * come from the votes linked to it, in the order they were linked.
 */
export class CaseReader {
  async get(db: SqlExecutor, caseId: string): Promise<EvalCase | null> {
    const { rows } = await db.query<CaseRow>(
      `select ${CASE_COLUMNS} from eval_cases c where c.case_id = $1`,
      [caseId],
    );
    if (!rows[0]) return null;
    const [found] = await this.assemble(db, rows);
    return found ?? null;
  }

  /**
   * These cases with their linked votes in link order, to build each case as it was right after
   * one of its links (see {@link caseAfterLink}): two queries for any number of cases.
   */
  async histories(db: SqlExecutor, caseIds: readonly string[]): Promise<Map<string, CaseHistory>> {
    const ids = [...new Set(caseIds)];
    if (ids.length === 0) return new Map();
    const { rows } = await db.query<CaseRow>(
      `select ${CASE_COLUMNS} from eval_cases c where c.case_id = any (array(select jsonb_array_elements_text($1::jsonb)))`,
      [JSON.stringify(ids)],
    );
    const links = byCase(await this.links(db, ids));
    return new Map(rows.map((row) => [row.case_id, { row, links: links.get(row.case_id) ?? [] }]));
  }

  async detail(db: SqlExecutor, caseId: string): Promise<EvalCaseDetail | null> {
    const { rows } = await db.query<CaseRow>(
      `select ${CASE_COLUMNS} from eval_cases c where c.case_id = $1`,
      [caseId],
    );
    if (!rows[0]) return null;
    const links = await this.links(db, [caseId]);
    const c = toCase(rows[0], links);
    return {
      ...c,
      feedback: links.map(toCaseFeedback),
      suggested_assertions: suggestAssertions(c.reasons, c.correction),
    };
  }

  /** One page of cases, newest activity first, with the total and the counts of CaseList. */
  async list(db: SqlExecutor, query: CaseQuery): Promise<CaseList> {
    const all = where(query);
    const n = all.params.length;
    const { rows } = await db.query<CaseRow>(
      `select ${CASE_COLUMNS} from eval_cases c ${all.sql}
       order by c.last_seen_at desc, c.case_id limit $${n + 1} offset $${n + 2}`,
      [...all.params, query.limit, query.offset],
    );
    const total = await db.query<{ n: number }>(
      `select count(*)::int as n from eval_cases c ${all.sql}`,
      all.params,
    );
    return {
      cases: await this.assemble(db, rows),
      total: total.rows[0]?.n ?? 0,
      counts: await this.counts(db, { ...query, status: undefined }),
    };
  }

  /** Every accepted case of a route (its eval set), oldest first. */
  async accepted(db: SqlExecutor, route: string): Promise<EvalCase[]> {
    const { rows } = await db.query<CaseRow>(
      `select ${CASE_COLUMNS} from eval_cases c where c.route = $1 and c.status = 'accepted'
       order by c.created_at, c.case_id`,
      [route],
    );
    return this.assemble(db, rows);
  }

  private async counts(db: SqlExecutor, filters: Filters): Promise<CaseList['counts']> {
    const f = where(filters);
    const grouped = async (column: string) => {
      const { rows } = await db.query<{ k: string; n: number }>(
        `select ${column} as k, count(*)::int as n from eval_cases c ${f.sql} group by ${column}`,
        f.params,
      );
      return Object.fromEntries(rows.map((r) => [r.k, r.n]));
    };
    const reasons = await db.query<{ k: string; n: number }>(
      `select r.reason as k, count(distinct c.case_id)::int as n
       from eval_cases c
       join case_feedback cf on cf.case_id = c.case_id
       join feedback f on f.feedback_id = cf.feedback_id
       cross join lateral jsonb_array_elements_text(f.reasons) as r(reason)
       ${f.sql} group by r.reason`,
      f.params,
    );
    return {
      by_status: await grouped('c.status'),
      by_route: await grouped('c.route'),
      by_variant: await grouped('c.variant'),
      by_reason: Object.fromEntries(reasons.rows.map((r) => [r.k, r.n])),
    };
  }

  private async assemble(db: SqlExecutor, rows: CaseRow[]): Promise<EvalCase[]> {
    if (rows.length === 0) return [];
    const links = byCase(
      await this.links(
        db,
        rows.map((r) => r.case_id),
      ),
    );
    return rows.map((row) => toCase(row, links.get(row.case_id) ?? []));
  }

  /**
   * `= any (array(select …))` rather than `in (select …)` here and in the ingest's look-ups by a
   * list of keys: the planner cannot tell how long the list is and, for `in`, hash-joins the whole
   * table (34 ms per call at 6,000 links in bench:loop's high-rate phase); `any` is an index scan.
   */
  private async links(db: SqlExecutor, caseIds: readonly string[]): Promise<LinkRow[]> {
    const { rows } = await db.query<LinkRow>(
      `select cf.case_id, cf.feedback_id, cf.interaction_id, f.rating, f.reasons, f.comment, f.correction,
         f.variant, i.model, f.created_at
       from case_feedback cf
       join feedback f on f.feedback_id = cf.feedback_id
       left join interactions i on i.interaction_id = cf.interaction_id
       where cf.case_id = any (array(select jsonb_array_elements_text($1::jsonb)))
       order by cf.seq`,
      [JSON.stringify(caseIds)],
    );
    return rows;
  }
}

/** A case row and its linked votes, in link order. */
export interface CaseHistory {
  row: CaseRow;
  links: LinkRow[];
}

/**
 * The case as `reader.get` showed it right after `feedbackId` was linked, when it was first and
 * last seen at `seen`: the links up to and including that one (later ones came after it).
 */
export function caseAfterLink(
  h: CaseHistory,
  feedbackId: string,
  seen: { first: Date; last: Date },
): EvalCase {
  const upTo = h.links.findIndex((l) => l.feedback_id === feedbackId);
  return toCase(
    { ...h.row, first_seen_at: seen.first, last_seen_at: seen.last },
    upTo < 0 ? h.links : h.links.slice(0, upTo + 1),
  );
}

function byCase(links: LinkRow[]): Map<string, LinkRow[]> {
  const out = new Map<string, LinkRow[]>();
  for (const link of links) {
    const list = out.get(link.case_id);
    if (list) list.push(link);
    else out.set(link.case_id, [link]);
  }
  return out;
}

/** The SQL where-clause of a case query (status, route, variant, reason, since/until on last_seen_at). */
function where(filters: Filters): { sql: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  if (filters.status) clauses.push(`c.status = ${param(filters.status)}`);
  if (filters.route) clauses.push(`c.route = ${param(filters.route)}`);
  if (filters.variant) clauses.push(`c.variant = ${param(filters.variant)}`);
  if (filters.reason) {
    clauses.push(
      `exists (select 1 from case_feedback rf join feedback rv on rv.feedback_id = rf.feedback_id
        where rf.case_id = c.case_id and rv.reasons @> ${param(JSON.stringify([filters.reason]))}::jsonb)`,
    );
  }
  if (filters.since) clauses.push(`c.last_seen_at >= ${param(new Date(filters.since))}`);
  if (filters.until) clauses.push(`c.last_seen_at < ${param(new Date(filters.until))}`);
  return { sql: clauses.length ? `where ${clauses.join(' and ')}` : '', params };
}

function toCase(row: CaseRow, links: LinkRow[]): EvalCase {
  const reasons = [...new Set(links.flatMap((l) => l.reasons))];
  const comment = links.find((l) => l.comment)?.comment;
  const correction = links.find((l) => l.correction)?.correction;
  return {
    id: row.case_id,
    route: row.route,
    status: row.status,
    count: Math.max(1, links.length),
    input: row.input,
    output: row.output,
    reasons,
    ...(comment && { comment }),
    ...(correction && { correction }),
    variant: row.variant,
    model: row.model,
    ...(row.flag_key && { flag_key: row.flag_key }),
    ...(row.expected !== null && { expected: row.expected }),
    assertions: row.assertions,
    ...(row.reject_reason !== null && { reject_reason: row.reject_reason }),
    lineage: {
      interaction_ids: links.map((l) => l.interaction_id),
      feedback_ids: links.map((l) => l.feedback_id),
      first_seen_at: row.first_seen_at.toISOString(),
      last_seen_at: row.last_seen_at.toISOString(),
    },
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    ...(row.triaged_at && { triaged_at: row.triaged_at.toISOString() }),
  };
}

function toCaseFeedback(l: LinkRow): CaseFeedback {
  return {
    feedback_id: l.feedback_id,
    interaction_id: l.interaction_id,
    rating: l.rating,
    reasons: l.reasons,
    ...(l.comment !== null && { comment: l.comment }),
    ...(l.correction !== null && { correction: l.correction }),
    variant: l.variant,
    model: l.model,
    created_at: l.created_at.toISOString(),
  };
}
