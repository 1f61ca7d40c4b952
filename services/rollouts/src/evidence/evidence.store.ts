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
 * How long after a step began an interaction must have started to count in the step's split
 * check: a decision reaches every gateway well within this (flag sync), and answers begun under
 * the previous split, still in flight or in the event pipeline, are not this step's split.
 */
export const SPLIT_SETTLE_MS = 5_000;

/** Where a route's rollout stands, as the intake needs it. */
interface StepOf {
  epoch: number;
  step_index: number;
  /** epoch ms */
  step_started_at: number;
}

/**
 * The counts the controller decides on, in Postgres (or PGlite): per route, epoch and variant.
 * Each event is counted once — its CloudEvents id goes into `rollout_processed_events` in the
 * same transaction as the counts, so a redelivered event changes nothing. A fetched batch is one
 * transaction with one row write per route, epoch and variant. Only the plan's
 * control and candidate count; interactions whose variant an admin forced (the regression
 * gate's runs) do not, since no flag split chose them.
 */
export class EvidenceStore {
  constructor(
    private readonly db: SqlDatabase,
    private readonly plans: RolloutsConfig,
    private readonly clock: Clock,
  ) {}

  /**
   * Counts the events of one fetched batch in one transaction and returns how many were counted
   * (0: none was evidence of a plan, or all were counted before). Interactions are summed in
   * memory and written once per route, epoch and variant (the latency sketch read, merged and
   * written once); votes are applied in order (a later revision of the same vote replaces the
   * earlier) and their count changes summed the same way.
   */
  async batch(events: readonly EvidenceEvent[]): Promise<number> {
    const relevant = events.filter((e) =>
      e.kind === 'interaction'
        ? this.relevant(e.data.route, e.data.variant) && e.data.variant_reason !== 'FORCED'
        : this.relevant(e.data.route, e.data.variant),
    );
    if (relevant.length === 0) return 0;
    return this.db.transaction(async (tx) => {
      const fresh = await this.firstSeen(
        tx,
        relevant.map((e) => e.id),
      );
      if (fresh.size === 0) return 0;
      const steps = await this.steps(tx, [...new Set(relevant.map((e) => e.data.route as string))]);
      const sums = new Map<string, Sums>();
      const split = new Map<
        string,
        { route: string; epoch: number; step: number; variant: string; n: number }
      >();
      const sumsOf = (route: string, epoch: number, variant: string): Sums => {
        const key = JSON.stringify([route, epoch, variant]);
        let s = sums.get(key);
        if (!s) sums.set(key, (s = { route, epoch, variant, ...emptySums() }));
        return s;
      };
      let counted = 0;
      for (const e of relevant) {
        if (!fresh.delete(e.id)) continue; // counted before, or a second copy in this batch
        const route = e.data.route as string;
        const at = steps.get(route);
        const epoch = at?.epoch ?? 0;
        if (e.kind === 'interaction') {
          const d = e.data;
          if (at && Date.parse(d.started_at) >= at.step_started_at + SPLIT_SETTLE_MS) {
            const key = JSON.stringify([route, epoch, at.step_index, d.variant]);
            const row = split.get(key);
            if (row) row.n++;
            else split.set(key, { route, epoch, step: at.step_index, variant: d.variant, n: 1 });
          }
          const s = sumsOf(route, epoch, d.variant);
          s.interactions++;
          if (d.status !== 'ok' || (d.validation.schema && !d.validation.valid)) s.errors++;
          s.cost_sum += d.cost_usd;
          s.cost_sum_squares += d.cost_usd * d.cost_usd;
          s.latencies.push(d.latency_ms);
          counted++;
        } else if (await this.vote(tx, route, epoch, e.data, sumsOf)) {
          counted++;
        }
      }
      // rows in key order, so concurrent batches (other partitions) lock them alike and never deadlock
      for (const key of [...sums.keys()].sort()) await this.write(tx, sums.get(key)!);
      for (const key of [...split.keys()].sort()) {
        const r = split.get(key)!;
        await tx.query(
          `insert into rollout_step_split (route, epoch, step_index, variant, interactions)
           values ($1, $2, $3, $4, $5)
           on conflict (route, epoch, step_index, variant)
           do update set interactions = rollout_step_split.interactions + excluded.interactions`,
          [r.route, r.epoch, r.step, r.variant, r.n],
        );
      }
      return counted;
    });
  }

  /** Stores a vote (a changed vote moves it from one count to the other); false when not counted. */
  private async vote(
    tx: SqlExecutor,
    route: string,
    epoch: number,
    e: FeedbackEvent,
    sumsOf: (route: string, epoch: number, variant: string) => Sums,
  ): Promise<boolean> {
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
      sumsOf(route, epoch, old.variant)[old.rating === 'down' ? 'votes_down' : 'votes_up']--;
    } else {
      await tx.query(
        `insert into rollout_votes (route, epoch, interaction_id, subject_hash, variant, rating, revision)
         values ($1, $2, $3, $4, $5, $6, $7)`,
        [...key, e.variant, e.rating, e.revision],
      );
    }
    sumsOf(route, epoch, e.variant)[e.rating === 'down' ? 'votes_down' : 'votes_up']++;
    return true;
  }

  /** Adds one batch's sums to the row of their route, epoch and variant. */
  private async write(tx: SqlExecutor, s: Sums): Promise<void> {
    const key = [s.route, s.epoch, s.variant];
    await tx.query(
      `insert into rollout_evidence (route, epoch, variant) values ($1, $2, $3) on conflict do nothing`,
      key,
    );
    let sketch: Uint8Array | null = null;
    if (s.latencies.length > 0) {
      const row = await tx.query<{ latency_sketch: Uint8Array | null }>(
        `select latency_sketch from rollout_evidence where route = $1 and epoch = $2 and variant = $3 for update`,
        key,
      );
      const stored = row.rows[0]?.latency_sketch;
      const merged = stored ? LatencySketch.fromBytes(stored) : new LatencySketch();
      for (const ms of s.latencies) merged.add(ms);
      sketch = merged.toBytes();
    }
    await tx.query(
      `update rollout_evidence set interactions = interactions + $4, errors = errors + $5,
         cost_sum = cost_sum + $6, cost_sum_squares = cost_sum_squares + $7,
         votes_up = votes_up + $8, votes_down = votes_down + $9,
         latency_sketch = coalesce($10, latency_sketch)
       where route = $1 and epoch = $2 and variant = $3`,
      [...key, s.interactions, s.errors, s.cost_sum, s.cost_sum_squares, s.votes_up, s.votes_down, sketch],
    );
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

  /** Marks the events seen; returns the ids that were not seen before. */
  private async firstSeen(tx: SqlExecutor, eventIds: readonly string[]): Promise<Set<string>> {
    const fresh = await tx.query<{ event_id: string }>(
      `insert into rollout_processed_events (event_id, received_at)
       select distinct id, $2::timestamptz from jsonb_array_elements_text($1::jsonb) as id
       on conflict (event_id) do nothing returning event_id`,
      [JSON.stringify(eventIds), new Date(this.clock.now())],
    );
    return new Set(fresh.rows.map((r) => r.event_id));
  }

  /**
   * The interactions of each variant counted in a step's split check: those that started at least
   * {@link SPLIT_SETTLE_MS} after the step began.
   */
  async stepSplit(
    tx: SqlExecutor,
    route: string,
    epoch: number,
    stepIndex: number,
  ): Promise<Map<string, number>> {
    const result = await tx.query<{ variant: string; interactions: string | number }>(
      `select variant, interactions from rollout_step_split where route = $1 and epoch = $2 and step_index = $3`,
      [route, epoch, stepIndex],
    );
    return new Map(result.rows.map((r) => [r.variant, Number(r.interactions)]));
  }

  /** The current epoch and step of each route's rollout (none before it started). */
  private async steps(tx: SqlExecutor, routes: readonly string[]): Promise<Map<string, StepOf>> {
    const state = await tx.query<{
      route: string;
      epoch: number;
      step_index: number;
      step_started_at: Date | string;
    }>(
      `select route, epoch, step_index, step_started_at from rollout_state
       where route in (select jsonb_array_elements_text($1::jsonb))`,
      [JSON.stringify(routes)],
    );
    return new Map(
      state.rows.map((r) => [
        r.route,
        { epoch: r.epoch, step_index: r.step_index, step_started_at: new Date(r.step_started_at).getTime() },
      ]),
    );
  }
}

/** One event the controller may count (its CloudEvents id makes counting idempotent). */
export type EvidenceEvent =
  | { kind: 'interaction'; id: string; data: InteractionEvent }
  | { kind: 'feedback'; id: string; data: FeedbackEvent };

interface Sums {
  route: string;
  epoch: number;
  variant: string;
  interactions: number;
  errors: number;
  cost_sum: number;
  cost_sum_squares: number;
  votes_up: number;
  votes_down: number;
  latencies: number[];
}

function emptySums() {
  return {
    interactions: 0,
    errors: 0,
    cost_sum: 0,
    cost_sum_squares: 0,
    votes_up: 0,
    votes_down: 0,
    latencies: [],
  };
}
