import type { Clock, SqlDatabase } from '@flywheel/platform';

export interface RetentionResult {
  feedback: number;
  cases: number;
  interactions: number;
}

const DAY_MS = 86_400_000;

/**
 * Deletes what is older than `curator.retention_days` (by when the curator received it) and
 * is not evidence for an accepted case (README "Retention"):
 * 1. votes (joined, waiting or parked) not linked to an accepted case; their links to new or
 *    rejected cases go with them;
 * 2. new and rejected cases left with no linked vote;
 * 3. interactions none of whose votes is linked to an accepted case.
 * Accepted cases, their votes and interactions, eval sets and eval runs are kept.
 */
export class RetentionJob {
  constructor(
    private readonly db: SqlDatabase,
    private readonly clock: Clock,
    private readonly retentionDays: number,
  ) {}

  async run(): Promise<RetentionResult> {
    const cutoff = new Date(this.clock.now() - this.retentionDays * DAY_MS);
    const accepted = (link: string) =>
      `exists (select 1 from case_feedback cf join eval_cases c on c.case_id = cf.case_id
        where ${link} and c.status = 'accepted')`;
    return this.db.transaction(async (tx) => {
      const feedback = await tx.query(
        `delete from feedback f where f.received_at < $1 and not ${accepted('cf.feedback_id = f.feedback_id')}`,
        [cutoff],
      );
      const cases = await tx.query(
        `delete from eval_cases c where c.status <> 'accepted'
         and not exists (select 1 from case_feedback cf where cf.case_id = c.case_id)`,
      );
      const interactions = await tx.query(
        `delete from interactions i where i.received_at < $1
         and not ${accepted('cf.interaction_id = i.interaction_id')}`,
        [cutoff],
      );
      return { feedback: feedback.rowCount, cases: cases.rowCount, interactions: interactions.rowCount };
    });
  }
}
