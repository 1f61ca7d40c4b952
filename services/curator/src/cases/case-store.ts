import { randomUUID } from 'node:crypto';
import type { Assertion, CaseInput, EvalCaseStatus } from '@flywheel/contracts';
import type { SqlExecutor } from '@flywheel/platform';

/** The case a disliked interaction belongs to: created, or merged into by its input hash. */
export interface CaseSeed {
  route: string;
  inputHash: string;
  input: CaseInput;
  output: string | null;
  variant: string;
  model: string | null;
  flagKey: string | null;
  /** when the vote was cast */
  seenAt: Date;
}

/** A case after {@link CaseStore.upsertMany}. */
export interface UpsertedCase {
  caseId: string;
  created: boolean;
  /** its first and last seen times before the upsert; null when it was created */
  priorSeen: { first: Date; last: Date } | null;
}

export interface LinkedCase {
  caseId: string;
  status: EvalCaseStatus;
  /** votes linked to the case, this one included */
  links: number;
}

/**
 * Writes to eval sets, cases and their vote links. Every method runs on the caller's
 * transaction (`tx`); times come from the caller's clock.
 */
export class CaseStore {
  /** The eval sets of these routes, created when missing: one statement. */
  async ensureSets(tx: SqlExecutor, routes: readonly string[], now: Date): Promise<void> {
    if (routes.length === 0) return;
    await tx.query(
      `insert into eval_sets (route, created_at) select r, $2 from jsonb_array_elements_text($1::jsonb) as r
       on conflict (route) do nothing`,
      [JSON.stringify([...new Set(routes)]), now],
    );
  }

  /**
   * The case of each seed's route and input hash, created when there is none, in one statement
   * (seeds with distinct keys; `seenAt` the earliest and `latestSeenAt` the latest vote of the
   * key). Concurrent writers of the same key meet on the unique (route, input_hash) constraint:
   * one inserts, the others update the same row. Also returns each case's first and last seen
   * times from before this statement (null for a created case).
   */
  async upsertMany(
    tx: SqlExecutor,
    seeds: readonly (CaseSeed & { latestSeenAt: Date })[],
    now: Date,
  ): Promise<UpsertedCase[]> {
    if (seeds.length === 0) return [];
    const rows = seeds.map((seed, i) => ({
      i,
      case_id: randomUUID(),
      route: seed.route,
      input_hash: seed.inputHash,
      input: seed.input,
      output: seed.output,
      variant: seed.variant,
      model: seed.model,
      flag_key: seed.flagKey,
      first_seen_at: seed.seenAt.toISOString(),
      last_seen_at: seed.latestSeenAt.toISOString(),
    }));
    // every CTE sees the table as it was before the insert: `prior` holds the seen times before it
    const { rows: upserted } = await tx.query<{
      case_id: string;
      i: number;
      prior_first: Date | null;
      prior_last: Date | null;
    }>(
      `with seed as (
         select * from jsonb_to_recordset($1::jsonb) as s(i int, case_id text, route text, input_hash text,
           input jsonb, output text, variant text, model text, flag_key text, first_seen_at timestamptz,
           last_seen_at timestamptz)
       ), prior as (
         -- one index lookup per seed (a plain join would scan every case: the planner cannot
         -- tell how few seeds there are)
         select s.i, c.first_seen_at, c.last_seen_at from seed s
         cross join lateral (select first_seen_at, last_seen_at from eval_cases
           where route = s.route and input_hash = s.input_hash limit 1) c
       ), up as (
         insert into eval_cases (case_id, route, input_hash, status, input, output, variant, model, flag_key,
           first_seen_at, last_seen_at, created_at, updated_at)
         select case_id, route, input_hash, 'new', input, output, variant, model, flag_key, first_seen_at,
           last_seen_at, $2, $2 from seed order by i
         on conflict (route, input_hash) do update set
           first_seen_at = least(eval_cases.first_seen_at, excluded.first_seen_at),
           last_seen_at = greatest(eval_cases.last_seen_at, excluded.last_seen_at),
           updated_at = excluded.updated_at
         returning case_id, route, input_hash
       )
       select up.case_id, s.i, p.first_seen_at as prior_first, p.last_seen_at as prior_last
       from up join seed s on s.route = up.route and s.input_hash = up.input_hash
       left join prior p on p.i = s.i`,
      [JSON.stringify(rows), now],
    );
    const out: UpsertedCase[] = new Array(seeds.length);
    for (const r of upserted) {
      out[r.i] = {
        caseId: r.case_id,
        created: r.case_id === rows[r.i]!.case_id,
        priorSeen: r.prior_first && r.prior_last ? { first: r.prior_first, last: r.prior_last } : null,
      };
    }
    return out;
  }

  /**
   * Links votes to cases in this order (so link order, `seq`, follows it) with one statement;
   * returns the feedback ids linked now (a vote linked already, a redelivery, is not).
   */
  async linkMany(
    tx: SqlExecutor,
    links: readonly { caseId: string; feedbackId: string; interactionId: string }[],
    now: Date,
  ): Promise<Set<string>> {
    if (links.length === 0) return new Set();
    const { rows } = await tx.query<{ feedback_id: string }>(
      `insert into case_feedback (feedback_id, case_id, interaction_id, linked_at)
       select feedback_id, case_id, interaction_id, $2
       from jsonb_to_recordset($1::jsonb) as l(i int, feedback_id text, case_id text, interaction_id text)
       order by i
       on conflict (feedback_id) do nothing returning feedback_id`,
      [
        JSON.stringify(
          links.map((l, i) => ({
            i,
            feedback_id: l.feedbackId,
            case_id: l.caseId,
            interaction_id: l.interactionId,
          })),
        ),
        now,
      ],
    );
    return new Set(rows.map((r) => r.feedback_id));
  }

  /** The case a vote is linked to (its row locked until the transaction ends), or null. */
  async linkedCase(tx: SqlExecutor, feedbackId: string): Promise<LinkedCase | null> {
    const { rows } = await tx.query<{ case_id: string; status: EvalCaseStatus }>(
      `select c.case_id, c.status from case_feedback cf join eval_cases c on c.case_id = cf.case_id
       where cf.feedback_id = $1 for update of c`,
      [feedbackId],
    );
    const row = rows[0];
    if (!row) return null;
    return { caseId: row.case_id, status: row.status, links: await this.linkCount(tx, row.case_id) };
  }

  async linkCount(tx: SqlExecutor, caseId: string): Promise<number> {
    const { rows } = await tx.query<{ n: number }>(
      'select count(*)::int as n from case_feedback where case_id = $1',
      [caseId],
    );
    return rows[0]?.n ?? 0;
  }

  async unlink(tx: SqlExecutor, feedbackId: string, now: Date): Promise<void> {
    const { rows } = await tx.query<{ case_id: string }>(
      'delete from case_feedback where feedback_id = $1 returning case_id',
      [feedbackId],
    );
    if (rows[0]) await this.touch(tx, rows[0].case_id, now);
  }

  /** Locks a case for a status change; null when there is no such case. */
  async lock(tx: SqlExecutor, caseId: string): Promise<EvalCaseStatus | null> {
    const { rows } = await tx.query<{ status: EvalCaseStatus }>(
      'select status from eval_cases where case_id = $1 for update',
      [caseId],
    );
    return rows[0]?.status ?? null;
  }

  async accept(
    tx: SqlExecutor,
    caseId: string,
    change: { expected: string | null; assertions: readonly Assertion[] },
    now: Date,
  ): Promise<void> {
    await tx.query(
      `update eval_cases set status = 'accepted', expected = $2, assertions = $3, reject_reason = null,
         triaged_at = $4, updated_at = $4 where case_id = $1`,
      [caseId, change.expected, JSON.stringify(change.assertions), now],
    );
  }

  async reject(tx: SqlExecutor, caseId: string, reason: string, now: Date): Promise<void> {
    await tx.query(
      `update eval_cases set status = 'rejected', reject_reason = $2, triaged_at = $3, updated_at = $3
       where case_id = $1`,
      [caseId, reason, now],
    );
  }

  private async touch(tx: SqlExecutor, caseId: string, now: Date): Promise<void> {
    await tx.query('update eval_cases set updated_at = $2 where case_id = $1', [caseId, now]);
  }
}
