import type { Clock, SqlDatabase } from '@flywheel/platform';
import type { CuratorMetrics } from '../curator.metrics';
import { parkCutoff } from './join-state';

/**
 * Parks the votes that waited longer than `curator.join_ttl_s` for their interaction: they
 * leave the join's waiting list for the parked list (`GET /v1/parked`), never dropped. A
 * parked vote whose interaction arrives later still joins (JoinService) and leaves the list.
 */
export class ParkSweep {
  constructor(
    private readonly db: SqlDatabase,
    private readonly metrics: CuratorMetrics,
    private readonly clock: Clock,
    private readonly joinTtlS: number,
  ) {}

  /** Parks what is overdue now; returns how many votes it parked. */
  async run(): Promise<number> {
    const now = this.clock.now();
    const { rows } = await this.db.query<{ route: string | null }>(
      `update feedback set join_state = 'parked', parked_at = $1
       where join_state = 'waiting' and received_at <= $2 returning route`,
      [new Date(now), parkCutoff(now, this.joinTtlS)],
    );
    for (const row of rows) this.metrics.votesParked(row.route);
    return rows.length;
  }
}

/** How many votes are parked now. */
export async function countParked(db: SqlDatabase): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `select count(*)::int as n from feedback where join_state = 'parked'`,
  );
  return rows[0]?.n ?? 0;
}
