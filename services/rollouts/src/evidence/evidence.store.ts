import type { FeedbackEvent, InteractionEvent } from '@flywheel/contracts';
import type { Clock, RolloutsConfig, SqlDatabase, SqlExecutor } from '@flywheel/platform';
import { emptyEvidence, LatencySketch, type MutableEvidence } from '../decision/evidence';

interface EvidenceRow {
  variant: string;
  interactions: string | number;
  votes_up: string | number;
  votes_down: string | number;
  errors: string | number;
  cost_sum: number;
  cost_sum_squares: number;
  latency_sketch: Uint8Array | null;
}

/**
 * The counts the controller decides on, in Postgres (or PGlite): per route, epoch and variant.
 * Each event is counted once — its CloudEvents id goes into `rollout_processed_events` in the
 * same transaction as the counts, so a redelivered event changes nothing. Only the plan's
 * control and candidate count; interactions whose variant an admin forced (the regression
 * gate's runs) do not, since no flag split chose them.
 */
export class EvidenceStore {
  constructor(
    private readonly db: SqlDatabase,
    private readonly plans: RolloutsConfig,
    private readonly clock: Clock,
  ) {}

  /** Counts an interaction; false when it is not evidence of a plan or was counted before. */
  async interaction(eventId: string, e: InteractionEvent): Promise<boolean> {
    if (!this.relevant(e.route, e.variant) || e.variant_reason === 'FORCED') return false;
    const route = e.route as string;
    const error = e.status !== 'ok' || (e.validation.schema && !e.validation.valid);
    return this.db.transaction(async (tx) => {
      const epoch = await this.firstSeen(tx, eventId, route);
      if (epoch === null) return false;
      await tx.query(
        `insert into rollout_evidence (route, epoch, variant) values ($1, $2, $3) on conflict do nothing`,
        [route, epoch, e.variant],
      );
      const row = await tx.query<{ latency_sketch: Uint8Array | null }>(
        `select latency_sketch from rollout_evidence where route = $1 and epoch = $2 and variant = $3 for update`,
        [route, epoch, e.variant],
      );
      const stored = row.rows[0]?.latency_sketch;
      const sketch = stored ? LatencySketch.fromBytes(stored) : new LatencySketch();
      sketch.add(e.latency_ms);
      await tx.query(
        `update rollout_evidence set interactions = interactions + 1, errors = errors + $4,
           cost_sum = cost_sum + $5, cost_sum_squares = cost_sum_squares + $6, latency_sketch = $7
         where route = $1 and epoch = $2 and variant = $3`,
        [route, epoch, e.variant, error ? 1 : 0, e.cost_usd, e.cost_usd * e.cost_usd, sketch.toBytes()],
      );
      return true;
    });
  }

  /** Counts a vote (a changed vote moves it from one count to the other); false when not counted. */
  async feedback(eventId: string, e: FeedbackEvent): Promise<boolean> {
    if (!this.relevant(e.route, e.variant)) return false;
    const route = e.route as string;
    return this.db.transaction(async (tx) => {
      const epoch = await this.firstSeen(tx, eventId, route);
      if (epoch === null) return false;
      const key = [route, epoch, e.interaction_id, e.subject_hash];
      const prior = await tx.query<{ rating: string; revision: number; variant: string }>(
        `select rating, revision, variant from rollout_votes
         where route = $1 and epoch = $2 and interaction_id = $3 and subject_hash = $4 for update`,
        key,
      );
      const old = prior.rows[0];
      if (old && old.revision >= e.revision) return false; // an older revision arriving late
      if (old) {
        await tx.query(
          `update rollout_votes set rating = $5, revision = $6
           where route = $1 and epoch = $2 and interaction_id = $3 and subject_hash = $4`,
          [...key, e.rating, e.revision],
        );
        if (old.rating === e.rating) return true;
        await this.addVote(tx, route, epoch, old.variant, old.rating, -1);
      } else {
        await tx.query(
          `insert into rollout_votes (route, epoch, interaction_id, subject_hash, variant, rating, revision)
           values ($1, $2, $3, $4, $5, $6, $7)`,
          [...key, e.variant, e.rating, e.revision],
        );
      }
      await this.addVote(tx, route, epoch, e.variant, e.rating, 1);
      return true;
    });
  }

  /** The evidence of each variant of a plan in an epoch (zeros for a variant not seen yet). */
  async load(
    tx: SqlExecutor,
    route: string,
    epoch: number,
    variants: string[],
  ): Promise<Record<string, MutableEvidence>> {
    const result = await tx.query<EvidenceRow>(
      `select variant, interactions, votes_up, votes_down, errors, cost_sum, cost_sum_squares, latency_sketch
       from rollout_evidence where route = $1 and epoch = $2`,
      [route, epoch],
    );
    const out: Record<string, MutableEvidence> = {};
    for (const v of variants) out[v] = emptyEvidence();
    for (const r of result.rows) {
      out[r.variant] = {
        interactions: Number(r.interactions),
        votes_up: Number(r.votes_up),
        votes_down: Number(r.votes_down),
        errors: Number(r.errors),
        cost_sum: Number(r.cost_sum),
        cost_sum_squares: Number(r.cost_sum_squares),
        latency: r.latency_sketch ? LatencySketch.fromBytes(r.latency_sketch) : new LatencySketch(),
      };
    }
    return out;
  }

  private relevant(route: string | null, variant: string): boolean {
    if (route === null || !Object.hasOwn(this.plans, route)) return false;
    const plan = this.plans[route]!;
    return variant === plan.control || variant === plan.candidate;
  }

  /** Marks the event seen and returns the rollout's epoch; null when it was seen before. */
  private async firstSeen(tx: SqlExecutor, eventId: string, route: string): Promise<number | null> {
    const fresh = await tx.query(
      `insert into rollout_processed_events (event_id, received_at) values ($1, $2)
       on conflict (event_id) do nothing returning event_id`,
      [eventId, new Date(this.clock.now())],
    );
    if (fresh.rows.length === 0) return null;
    const state = await tx.query<{ epoch: number }>(`select epoch from rollout_state where route = $1`, [
      route,
    ]);
    return state.rows[0]?.epoch ?? 0;
  }

  private async addVote(
    tx: SqlExecutor,
    route: string,
    epoch: number,
    variant: string,
    rating: string,
    delta: number,
  ) {
    const column = rating === 'down' ? 'votes_down' : 'votes_up';
    await tx.query(
      `insert into rollout_evidence (route, epoch, variant) values ($1, $2, $3) on conflict do nothing`,
      [route, epoch, variant],
    );
    await tx.query(
      `update rollout_evidence set ${column} = ${column} + $4 where route = $1 and epoch = $2 and variant = $3`,
      [route, epoch, variant, delta],
    );
  }
}
