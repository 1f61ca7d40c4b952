import type { RolloutDecision } from '@flywheel/contracts';
import type { SqlExecutor } from '@flywheel/platform';
import type { Decision, RolloutPosition, RolloutStatus } from '../decision/state-machine';

/** Interactions per variant and candidate votes when the current step began. */
export interface StepBase {
  control: number;
  candidate: number;
  candidate_votes: number;
}

export interface StoredRollout {
  route: string;
  epoch: number;
  position: RolloutPosition;
  step_base: StepBase;
  plan_revision: string;
}

interface StateRow {
  route: string;
  epoch: number;
  status: RolloutStatus;
  step_index: number;
  step_started_at: Date | string;
  reason: string | null;
  hold_cause: 'srm' | 'gate' | null;
  step_base: StepBase | string;
  plan_revision: string;
}

/** The rollout_state and rollout_decisions tables. */
export class RolloutStore {
  async ensure(tx: SqlExecutor, route: string, revision: string, now: Date): Promise<void> {
    await tx.query(
      `insert into rollout_state (route, epoch, status, step_index, step_started_at, step_base, plan_revision, updated_at)
       values ($1, 0, 'pending', 0, $3, $4, $2, $3)
       on conflict (route) do update set plan_revision = excluded.plan_revision`,
      [route, revision, now, JSON.stringify({ control: 0, candidate: 0, candidate_votes: 0 })],
    );
  }

  async get(tx: SqlExecutor, route: string, lock = false): Promise<StoredRollout | null> {
    const r = await tx.query<StateRow>(
      `select * from rollout_state where route = $1${lock ? ' for update' : ''}`,
      [route],
    );
    const row = r.rows[0];
    if (!row) return null;
    return {
      route: row.route,
      epoch: row.epoch,
      position: {
        status: row.status,
        step_index: row.step_index,
        step_started_at: new Date(row.step_started_at).getTime(),
        ...(row.reason !== null && { reason: row.reason }),
        ...(row.hold_cause !== null && { hold_cause: row.hold_cause }),
      },
      step_base: typeof row.step_base === 'string' ? (JSON.parse(row.step_base) as StepBase) : row.step_base,
      plan_revision: row.plan_revision,
    };
  }

  async save(tx: SqlExecutor, s: StoredRollout, now: Date): Promise<void> {
    await tx.query(
      `update rollout_state set epoch = $2, status = $3, step_index = $4, step_started_at = $5, reason = $6,
         hold_cause = $7, step_base = $8, updated_at = $9 where route = $1`,
      [
        s.route,
        s.epoch,
        s.position.status,
        s.position.step_index,
        new Date(s.position.step_started_at),
        s.position.reason ?? null,
        s.position.hold_cause ?? null,
        JSON.stringify(s.step_base),
        now,
      ],
    );
  }

  async addDecision(tx: SqlExecutor, route: string, epoch: number, d: Decision, at: Date): Promise<void> {
    await tx.query(
      `insert into rollout_decisions (route, epoch, at, kind, from_percent, to_percent, reason, evidence)
       values ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        route,
        epoch,
        at,
        d.kind,
        d.from_percent,
        d.to_percent,
        d.reason,
        JSON.stringify(jsonSafe(d.evidence)),
      ],
    );
  }

  /** The decision log of a route, newest first. */
  async decisions(tx: SqlExecutor, route: string, limit = 50): Promise<RolloutDecision[]> {
    const r = await tx.query<DecisionRow>(
      `select at, kind, from_percent, to_percent, reason, evidence from rollout_decisions
       where route = $1 order by id desc limit $2`,
      [route, limit],
    );
    return r.rows.map(toDecision);
  }

  async unpublished(
    tx: SqlExecutor,
  ): Promise<(RolloutDecision & { id: string; route: string; epoch: number })[]> {
    const r = await tx.query<DecisionRow & { id: string | number; route: string; epoch: number }>(
      `select id, route, epoch, at, kind, from_percent, to_percent, reason, evidence from rollout_decisions
       where not published order by id limit 100`,
    );
    return r.rows.map((row) => ({
      ...toDecision(row),
      id: String(row.id),
      route: row.route,
      epoch: row.epoch,
    }));
  }

  async markPublished(tx: SqlExecutor, id: string): Promise<void> {
    await tx.query(`update rollout_decisions set published = true where id = $1`, [id]);
  }
}

interface DecisionRow {
  at: Date | string;
  kind: RolloutDecision['kind'];
  from_percent: number;
  to_percent: number;
  reason: string;
  evidence: Record<string, unknown> | string;
}

function toDecision(row: DecisionRow): RolloutDecision {
  return {
    at: new Date(row.at).toISOString(),
    kind: row.kind,
    from_percent: Number(row.from_percent),
    to_percent: Number(row.to_percent),
    reason: row.reason,
    evidence:
      typeof row.evidence === 'string' ? (JSON.parse(row.evidence) as Record<string, unknown>) : row.evidence,
  };
}

/** Infinite and NaN numbers become null (JSON cannot carry them). */
export function jsonSafe<T>(value: T): T {
  return JSON.parse(
    JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)),
  ) as T;
}
