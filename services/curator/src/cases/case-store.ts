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
  async ensureSet(tx: SqlExecutor, route: string, now: Date): Promise<void> {
    await tx.query(
      'insert into eval_sets (route, created_at) values ($1, $2) on conflict (route) do nothing',
      [route, now],
    );
  }

  /**
   * The case of `seed.route` with `seed.inputHash`, created when there is none. Concurrent
   * writers of the same key meet on the unique (route, input_hash) constraint: one inserts,
   * the others update the same row.
   */
  async upsert(tx: SqlExecutor, seed: CaseSeed, now: Date): Promise<{ caseId: string; created: boolean }> {
    const fresh = randomUUID();
    const { rows } = await tx.query<{ case_id: string }>(
      `insert into eval_cases (case_id, route, input_hash, status, input, output, variant, model, flag_key,
         first_seen_at, last_seen_at, created_at, updated_at)
       values ($1, $2, $3, 'new', $4, $5, $6, $7, $8, $9, $9, $10, $10)
       on conflict (route, input_hash) do update set
         first_seen_at = least(eval_cases.first_seen_at, excluded.first_seen_at),
         last_seen_at = greatest(eval_cases.last_seen_at, excluded.last_seen_at),
         updated_at = excluded.updated_at
       returning case_id`,
      [
        fresh,
        seed.route,
        seed.inputHash,
        JSON.stringify(seed.input),
        seed.output,
        seed.variant,
        seed.model,
        seed.flagKey,
        seed.seenAt,
        now,
      ],
    );
    const caseId = rows[0]!.case_id;
    return { caseId, created: caseId === fresh };
  }

  /** Links a vote to a case; false when this vote was linked already (a redelivery). */
  async link(
    tx: SqlExecutor,
    link: { caseId: string; feedbackId: string; interactionId: string },
    now: Date,
  ): Promise<boolean> {
    const { rowCount } = await tx.query(
      `insert into case_feedback (feedback_id, case_id, interaction_id, linked_at) values ($1, $2, $3, $4)
       on conflict (feedback_id) do nothing`,
      [link.feedbackId, link.caseId, link.interactionId, now],
    );
    return rowCount > 0;
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
