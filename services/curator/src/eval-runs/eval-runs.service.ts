import { EvalRun, type EvalRunList, EvalRunSummary } from '@flywheel/contracts';
import { type Clock, DomainError, type SqlDatabase } from '@flywheel/platform';

/**
 * Eval runs as the eval runner reports them. Storing is idempotent on the run id: the same
 * run again is answered with the stored one; a different run under a stored id is a 409.
 */
export class EvalRunsService {
  constructor(
    private readonly db: SqlDatabase,
    private readonly clock: Clock,
  ) {}

  /** Stores a run; `created` is false when this exact run was stored already. */
  async store(run: EvalRun): Promise<{ run: EvalRun; created: boolean }> {
    const { results, ...summary } = run;
    const created = await this.db.transaction(async (tx) => {
      const inserted = await tx.query(
        `insert into eval_runs (run_id, route, variant, started_at, summary, received_at)
         values ($1, $2, $3, $4, $5, $6) on conflict (run_id) do nothing`,
        [
          run.id,
          run.route,
          run.variant,
          new Date(run.started_at),
          JSON.stringify(summary),
          new Date(this.clock.now()),
        ],
      );
      if (inserted.rowCount === 0) return false;
      for (const [position, result] of results.entries()) {
        await tx.query(
          `insert into eval_results (run_id, position, case_id, outcome, result) values ($1, $2, $3, $4, $5)`,
          [run.id, position, result.case_id, result.outcome, JSON.stringify(result)],
        );
      }
      return true;
    });
    if (created) return { run, created };
    const stored = (await this.find(run.id))!;
    if (JSON.stringify(stored) !== JSON.stringify(EvalRun.parse(run))) {
      throw new DomainError('conflict', `eval run ${run.id} is already stored with different content`);
    }
    return { run: stored, created: false };
  }

  async get(runId: string): Promise<EvalRun> {
    const run = await this.find(runId);
    if (!run) throw new DomainError('not_found', `no eval run ${runId}`);
    return run;
  }

  private async find(runId: string): Promise<EvalRun | null> {
    const { rows } = await this.db.query<{ summary: unknown }>(
      'select summary from eval_runs where run_id = $1',
      [runId],
    );
    if (!rows[0]) return null;
    const results = await this.db.query<{ result: unknown }>(
      'select result from eval_results where run_id = $1 order by position',
      [runId],
    );
    return EvalRun.parse({ ...(rows[0].summary as object), results: results.rows.map((r) => r.result) });
  }

  /** Runs without their per-case results, latest first. */
  async list(query: { route?: string; limit: number }): Promise<EvalRunList> {
    const params = query.route === undefined ? [] : [query.route];
    const { rows } = await this.db.query<{ summary: unknown }>(
      `select summary from eval_runs ${query.route === undefined ? '' : 'where route = $1'}
       order by started_at desc, run_id limit $${params.length + 1}`,
      [...params, query.limit],
    );
    return { runs: rows.map((r) => EvalRunSummary.parse(r.summary)) };
  }
}
