import type { ParkedList, VoteCounts } from '@flywheel/contracts';
import type { SqlDatabase } from '@flywheel/platform';

interface ParkedRow {
  feedback_id: string;
  interaction_id: string;
  route: string | null;
  variant: string;
  rating: 'up' | 'down';
  reasons: string[];
  comment: string | null;
  received_at: Date;
  parked_at: Date;
}

/** Read side of the stored votes: the parked list and vote counts per variant. */
export class VotesService {
  constructor(private readonly db: SqlDatabase) {}

  /** Parked votes, most recently parked first. */
  async parked(query: { route?: string; limit: number; offset: number }): Promise<ParkedList> {
    const params = query.route === undefined ? [] : [query.route];
    const filter = query.route === undefined ? '' : 'and route = $1';
    const { rows } = await this.db.query<ParkedRow>(
      `select feedback_id, interaction_id, route, variant, rating, reasons, comment, received_at, parked_at
       from feedback where join_state = 'parked' ${filter}
       order by parked_at desc, feedback_id limit $${params.length + 1} offset $${params.length + 2}`,
      [...params, query.limit, query.offset],
    );
    const total = await this.db.query<{ n: number }>(
      `select count(*)::int as n from feedback where join_state = 'parked' ${filter}`,
      params,
    );
    return {
      parked: rows.map((r) => ({
        feedback_id: r.feedback_id,
        interaction_id: r.interaction_id,
        route: r.route,
        variant: r.variant,
        rating: r.rating,
        reasons: r.reasons,
        ...(r.comment !== null && { comment: r.comment }),
        received_at: r.received_at.toISOString(),
        parked_at: r.parked_at.toISOString(),
      })),
      total: total.rows[0]?.n ?? 0,
    };
  }

  async counts(route?: string): Promise<VoteCounts> {
    const { rows } = await this.db.query<{ route: string | null; variant: string; up: number; down: number }>(
      `select route, variant,
         count(*) filter (where rating = 'up')::int as up,
         count(*) filter (where rating = 'down')::int as down
       from feedback ${route === undefined ? '' : 'where route = $1'}
       group by route, variant order by route nulls last, variant`,
      route === undefined ? [] : [route],
    );
    return { votes: rows };
  }
}
