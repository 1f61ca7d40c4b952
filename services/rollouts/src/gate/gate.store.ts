import type { SqlExecutor } from '@flywheel/platform';
import type { GateRunResult } from './gate-runner';

/** A route's regression gate as stored: the last finished run, and whether a run is owed. */
export interface GateRecord {
  route: string;
  status: 'none' | 'passed' | 'failed';
  run_id: string | null;
  pass_rate: number | null;
  cases: number | null;
  min_pass_rate: number | null;
  config_hash: string | null;
  finished_at: Date | null;
  /** a run is owed while requested > ran */
  requested: number;
  ran: number;
  request_reason: string | null;
  error: string | null;
}

/** The rollout_gates table. */
export class GateStore {
  async ensure(tx: SqlExecutor, route: string): Promise<GateRecord> {
    await tx.query(
      `insert into rollout_gates (route, status) values ($1, 'none') on conflict (route) do nothing`,
      [route],
    );
    return (await this.get(tx, route))!;
  }

  async get(tx: SqlExecutor, route: string): Promise<GateRecord | null> {
    const r = await tx.query<GateRecord>(`select * from rollout_gates where route = $1`, [route]);
    const row = r.rows[0];
    if (!row) return null;
    return {
      ...row,
      pass_rate: row.pass_rate === null ? null : Number(row.pass_rate),
      min_pass_rate: row.min_pass_rate === null ? null : Number(row.min_pass_rate),
      finished_at: row.finished_at === null ? null : new Date(row.finished_at),
    };
  }

  /** Owes the route a run; returns the request's number. */
  async request(tx: SqlExecutor, route: string, reason: string): Promise<number> {
    const r = await tx.query<{ requested: number }>(
      `update rollout_gates set requested = requested + 1, request_reason = $2 where route = $1 returning requested`,
      [route, reason],
    );
    return r.rows[0]?.requested ?? 0;
  }

  /** Records a finished run that began when `requested` was the latest request. */
  async finished(
    tx: SqlExecutor,
    route: string,
    requested: number,
    result: GateRunResult,
    minPassRate: number,
    configHash: string,
    at: Date,
  ): Promise<void> {
    await tx.query(
      `update rollout_gates set status = $2, run_id = $3, pass_rate = $4, cases = $5, min_pass_rate = $6,
         config_hash = $7, finished_at = $8, ran = greatest(ran, $9), error = null where route = $1`,
      [
        route,
        result.passed ? 'passed' : 'failed',
        result.run_id ?? null,
        result.pass_rate,
        result.cases,
        minPassRate,
        configHash,
        at,
        requested,
      ],
    );
  }

  async failedToRun(tx: SqlExecutor, route: string, error: string): Promise<void> {
    await tx.query(`update rollout_gates set error = $2 where route = $1`, [route, error]);
  }
}
