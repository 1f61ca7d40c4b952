import { Logger } from '@nestjs/common';
import {
  type CaseInput,
  type FeedbackEvent,
  type InteractionEvent,
  type Rating,
  Topics,
} from '@flywheel/contracts';
import type { Clock, SqlDatabase, SqlExecutor } from '@flywheel/platform';
import type { CuratorMetrics } from '../curator.metrics';
import { type CaseAction, type CaseEvents } from '../cases/case-events';
import { caseInput, inputHash } from '../cases/case-input';
import { caseAfterLink, type CaseReader } from '../cases/case-reader';
import type { CaseSeed, CaseStore, LinkedCase } from '../cases/case-store';
import type { Redactor } from '@flywheel/platform';
import { erasedAmong, SUBJECT_LOCK_NAMESPACE } from '../subjects/subject-lock';
import { caseEffect, decideVote, type JoinState, unlinkOutcome, WITHDRAWN_REASON } from './join-state';

/** The redactor's text interface (src/redaction): every stored free text goes through it. */
export type TextRedactor = Pick<Redactor, 'redact' | 'redactValue'>;

/** First key of the curator's advisory locks ('Cura'), clear of the migration locks. */
const LOCK_NAMESPACE = 0x43757261;

interface StoredInteraction {
  interaction_id: string;
  route: string | null;
  flag_key: string | null;
  variant: string;
  model: string | null;
  input: CaseInput;
  output: string | null;
}

/** A joined dislike to link to a case. */
interface VoteToLink {
  feedback_id: string;
  /** when it was cast: the case's seen times */
  created_at: Date;
}

/** A dislike to link, its interaction, and the outcome of the event that joined it. */
interface PendingLink {
  interaction: StoredInteraction;
  vote: VoteToLink;
  result: Outcome;
}

interface WaitingVote {
  feedback_id: string;
  rating: Rating;
  route: string | null;
  created_at: Date;
  join_state: JoinState;
}

/** A case change made in a transaction, reported once it committed. */
interface CaseChange {
  route: string;
  action: CaseAction | 'withdrawn';
}

/** What one event did once its transaction committed (for metrics). */
interface Outcome {
  changes: CaseChange[];
  /** ms from each vote being cast to its join, for votes joined by this event */
  joinLags: number[];
  vote?: { route: string | null; variant: string; rating: Rating };
}

/** What the ingest hands the join: one event of either topic. */
export type JoinEvent =
  { kind: 'interaction'; data: InteractionEvent } | { kind: 'feedback'; data: FeedbackEvent };

interface PreparedInteraction {
  kind: 'interaction';
  event: InteractionEvent;
  stored: StoredInteraction;
}

interface PreparedVote {
  kind: 'feedback';
  event: FeedbackEvent;
  comment: string | null;
  correction: string | null;
}

/** An event that changed nothing: its effect was stored already, or its subject was erased. */
type Skipped = 'redelivered' | 'erased';

export interface JoinHooks {
  /** runs right after a feedback event's transaction committed, before the handler returns */
  afterFeedbackCommit?(feedbackId: string): void;
}

/**
 * The sink of the interactions and feedback topics: stores both (redacted), joins them by
 * interaction_id whatever their order, and turns joined dislikes into eval cases. Each event is
 * one transaction under an advisory lock on its interaction_id, so an interaction and its
 * votes, handled concurrently from two topics, never miss each other. Idempotent: a
 * redelivered event finds its effect stored (unique keys, vote revisions) and changes nothing.
 */
export class JoinService {
  private readonly logger = new Logger('JoinService');

  constructor(
    private readonly db: SqlDatabase,
    private readonly redactor: TextRedactor,
    private readonly store: CaseStore,
    private readonly reader: CaseReader,
    private readonly events: CaseEvents,
    private readonly metrics: CuratorMetrics,
    private readonly clock: Clock,
    private readonly hooks: JoinHooks = {},
  ) {}

  /**
   * Handles events in order in one transaction (what one Kafka batch of a partition holds): the
   * advisory locks of all their interactions and subjects first, in a fixed order (so two batches
   * cannot deadlock on them), the erased subjects in one query, interactions stored with one
   * multi-row insert (joining the votes that were waiting, or parked, for them), votes seen for the
   * first time likewise (a newer revision of a stored vote replaces it, one at a time), and the
   * dislikes joined by either linked to their cases with a fixed number of statements (linkAll),
   * so a batch costs about 15 round trips whatever its size. An erased subject's events
   * are dropped, so a replay cannot bring them back. Redaction runs before the transaction. The
   * effect is that of handling each event alone; when a batch fails the bus hands its events over
   * one by one.
   */
  async batch(events: readonly JoinEvent[]): Promise<void> {
    if (events.length === 0) return;
    const now = new Date(this.clock.now());
    const prepared = events.map((e) => this.prepare(e));
    const outcomes = await this.db.transaction(async (tx) => {
      await lockAll(tx, events);
      const erased = await erasedAmong(
        tx,
        events.map((e) => e.data.subject_hash),
      );
      const live = prepared.filter((p) => !erased.has(p.event.subject_hash));
      // The interactions the votes join (one query), and then every case the votes may create,
      // merge into or withdraw, locked in key order (interactions with waiting votes: see
      // storeInteractions): batches of other partitions that meet on a case (near-duplicates)
      // wait for each other instead of deadlocking.
      const voted = await this.storedInteractions(
        tx,
        live.flatMap((p) => (p.kind === 'feedback' ? [p.event.interaction_id] : [])),
      );
      await lockCases(tx, [...voted.values()]);
      const results: (Outcome | Skipped)[] = [];
      // consecutive interactions, or consecutive votes, are stored together
      let interactions: PreparedInteraction[] = [];
      let votes: PreparedVote[] = [];
      const flush = async () => {
        if (interactions.length > 0) {
          results.push(...(await this.storeInteractions(tx, interactions, now)));
          for (const { stored } of interactions)
            if (!voted.has(stored.interaction_id)) voted.set(stored.interaction_id, stored);
          interactions = [];
        }
        if (votes.length > 0) {
          results.push(...(await this.storeVotes(tx, votes, voted, now)));
          votes = [];
        }
      };
      for (const p of prepared) {
        if (erased.has(p.event.subject_hash)) {
          await flush();
          results.push('erased');
        } else if (p.kind === 'interaction') {
          if (votes.length > 0) await flush();
          interactions.push(p);
        } else {
          if (interactions.length > 0) await flush();
          votes.push(p);
        }
      }
      await flush();
      return results;
    });
    let changed = false;
    outcomes.forEach((outcome, i) => {
      const p = prepared[i]!;
      if (p.kind === 'feedback') this.hooks.afterFeedbackCommit?.(p.event.feedback_id);
      changed =
        this.committed(outcome, p.kind === 'feedback' ? Topics.feedback : Topics.interactions) || changed;
    });
    if (changed) {
      this.events
        .drain()
        .catch((err: unknown) => this.logger.warn(`case events not published yet: ${String(err)}`));
    }
  }

  /** Redacts what the event stores (CPU only, before the transaction). */
  private prepare(e: JoinEvent): PreparedInteraction | PreparedVote {
    if (e.kind === 'feedback') {
      const d = e.data;
      return {
        kind: 'feedback',
        event: d,
        comment: d.comment === undefined ? null : this.redactor.redact(d.comment),
        correction: d.correction === undefined ? null : this.redactor.redact(d.correction),
      };
    }
    const d = e.data;
    return {
      kind: 'interaction',
      event: d,
      stored: {
        interaction_id: d.interaction_id,
        route: d.route,
        flag_key: d.flag_key ?? null,
        variant: d.variant,
        model: d.final_model,
        input: this.redactor.redactValue(caseInput(d.request)),
        output: d.output === null ? null : this.redactor.redact(d.output),
      },
    };
  }

  /**
   * Inserts the interactions with one statement (a redelivered one is skipped by its key) and
   * joins the votes that were waiting for those that are new. One outcome per interaction.
   */
  private async storeInteractions(
    tx: SqlExecutor,
    list: readonly PreparedInteraction[],
    now: Date,
  ): Promise<(Outcome | 'redelivered')[]> {
    const rows = list.map(({ event: e, stored: i }) => ({
      interaction_id: i.interaction_id,
      route: i.route,
      flag_key: i.flag_key,
      variant: i.variant,
      model: i.model,
      status: e.status,
      input: i.input,
      output: i.output,
      started_at: new Date(e.started_at).toISOString(),
      subject_hash: e.subject_hash,
    }));
    const inserted = await tx.query<{ interaction_id: string }>(
      `insert into interactions (interaction_id, route, flag_key, variant, model, status, input, output,
         started_at, received_at, subject_hash)
       select interaction_id, route, flag_key, variant, model, status, input, output, started_at, $2, subject_hash
       from jsonb_to_recordset($1::jsonb) as r(interaction_id text, route text, flag_key text, variant text,
         model text, status text, input jsonb, output text, started_at timestamptz, subject_hash text)
       on conflict (interaction_id) do nothing returning interaction_id`,
      [JSON.stringify(rows), now],
    );
    const fresh = new Set(inserted.rows.map((r) => r.interaction_id));
    const waiting = new Map<string, WaitingVote[]>();
    if (fresh.size > 0) {
      const { rows: votes } = await tx.query<WaitingVote & { interaction_id: string }>(
        `select feedback_id, interaction_id, rating, route, created_at, join_state from feedback
         where interaction_id = any (array(select jsonb_array_elements_text($1::jsonb))) and join_state <> 'joined'
         order by interaction_id, received_at, feedback_id for update`,
        [JSON.stringify([...fresh])],
      );
      for (const v of votes) waiting.set(v.interaction_id, [...(waiting.get(v.interaction_id) ?? []), v]);
      await lockCases(
        tx,
        list.flatMap((p) => (waiting.has(p.stored.interaction_id) ? [p.stored] : [])),
      );
    }
    const out: (Outcome | 'redelivered')[] = [];
    const joined: string[] = [];
    const links: PendingLink[] = [];
    for (const { stored: interaction } of list) {
      // a second copy of the same interaction in one batch is a redelivery too
      if (!fresh.delete(interaction.interaction_id)) {
        out.push('redelivered');
        continue;
      }
      const result: Outcome = { changes: [], joinLags: [] };
      for (const vote of waiting.get(interaction.interaction_id) ?? []) {
        joined.push(vote.feedback_id);
        result.joinLags.push(now.getTime() - vote.created_at.getTime());
        if (caseEffect({ rating: vote.rating, linked: false, routed: interaction.route !== null }) === 'link')
          links.push({ interaction, vote, result });
      }
      out.push(result);
    }
    if (joined.length > 0) {
      await tx.query(
        `update feedback set join_state = 'joined', joined_at = $2
         where feedback_id = any (array(select jsonb_array_elements_text($1::jsonb)))`,
        [JSON.stringify(joined), now],
      );
    }
    await this.linkAll(tx, links, now);
    return out;
  }

  /**
   * Stores votes in order: the votes seen for the first time (the usual case) together, with
   * one insert and their case links in one go; a vote stored before (a new revision, a
   * redelivery, or a second revision in this batch) alone, after the ones before it.
   */
  private async storeVotes(
    tx: SqlExecutor,
    list: readonly PreparedVote[],
    voted: ReadonlyMap<string, StoredInteraction>,
    now: Date,
  ): Promise<(Outcome | 'redelivered')[]> {
    const { rows } = await tx.query<{ feedback_id: string }>(
      'select feedback_id from feedback where feedback_id = any (array(select jsonb_array_elements_text($1::jsonb)))',
      [JSON.stringify([...new Set(list.map((p) => p.event.feedback_id))])],
    );
    const known = new Set(rows.map((r) => r.feedback_id));
    const out: (Outcome | 'redelivered')[] = [];
    let firsts: PreparedVote[] = [];
    for (const p of list) {
      const interaction = voted.get(p.event.interaction_id) ?? null;
      if (known.has(p.event.feedback_id)) {
        if (firsts.length > 0) out.push(...(await this.storeFirstVotes(tx, firsts, voted, now)));
        firsts = [];
        out.push(await this.storeVote(tx, p, interaction, now));
      } else {
        firsts.push(p);
        known.add(p.event.feedback_id);
      }
    }
    if (firsts.length > 0) out.push(...(await this.storeFirstVotes(tx, firsts, voted, now)));
    return out;
  }

  /** Votes with no stored row yet (distinct feedback ids): one insert, then their case links. */
  private async storeFirstVotes(
    tx: SqlExecutor,
    list: readonly PreparedVote[],
    voted: ReadonlyMap<string, StoredInteraction>,
    now: Date,
  ): Promise<Outcome[]> {
    const out: Outcome[] = [];
    const links: PendingLink[] = [];
    const rows = list.map(({ event: e, comment, correction }) => {
      const interaction = voted.get(e.interaction_id) ?? null;
      const decision = decideVote(null, e.revision, interaction !== null);
      const state = decision.kind === 'store' ? decision.state : 'waiting';
      const createdAt = new Date(e.created_at);
      const result: Outcome = {
        changes: [],
        joinLags: state === 'joined' ? [now.getTime() - createdAt.getTime()] : [],
        vote: { route: e.route, variant: e.variant, rating: e.rating },
      };
      out.push(result);
      // a vote with no row has no case link yet
      if (
        state === 'joined' &&
        interaction &&
        caseEffect({ rating: e.rating, linked: false, routed: interaction.route !== null }) === 'link'
      ) {
        links.push({ interaction, vote: { feedback_id: e.feedback_id, created_at: createdAt }, result });
      }
      return {
        feedback_id: e.feedback_id,
        interaction_id: e.interaction_id,
        subject_hash: e.subject_hash,
        route: e.route,
        variant: e.variant,
        rating: e.rating,
        reasons: e.reasons,
        comment,
        correction,
        revision: e.revision,
        created_at: createdAt.toISOString(),
        join_state: state,
        joined: state === 'joined',
      };
    });
    await tx.query(
      `insert into feedback (feedback_id, interaction_id, subject_hash, route, variant, rating, reasons,
         comment, correction, revision, created_at, received_at, join_state, joined_at)
       select feedback_id, interaction_id, subject_hash, route, variant, rating, reasons, comment, correction,
         revision, created_at, $2, join_state, case when joined then $2::timestamptz end
       from jsonb_to_recordset($1::jsonb) as f(feedback_id text, interaction_id text, subject_hash text,
         route text, variant text, rating text, reasons jsonb, comment text, correction text, revision int,
         created_at timestamptz, join_state text, joined boolean)`,
      [JSON.stringify(rows), now],
    );
    await this.linkAll(tx, links, now);
    return out;
  }

  /** Stores a vote (its subject's lock held, not erased) and applies it to cases once joined. */
  private async storeVote(
    tx: SqlExecutor,
    p: PreparedVote,
    interaction: StoredInteraction | null,
    now: Date,
  ): Promise<Outcome | 'redelivered'> {
    const { event: e, comment, correction } = p;
    const { rows } = await tx.query<{ revision: number; join_state: JoinState }>(
      'select revision, join_state from feedback where feedback_id = $1 for update',
      [e.feedback_id],
    );
    const stored = rows[0] ? { revision: rows[0].revision, state: rows[0].join_state } : null;
    const decision = decideVote(stored, e.revision, interaction !== null);
    if (decision.kind === 'duplicate') return 'redelivered';

    const values = [
      e.feedback_id,
      e.interaction_id,
      e.subject_hash,
      e.route,
      e.variant,
      e.rating,
      JSON.stringify(e.reasons),
      comment,
      correction,
      e.revision,
      new Date(e.created_at),
      now,
      decision.state,
    ];
    const newlyJoined = decision.state === 'joined' && stored?.state !== 'joined';
    if (stored) {
      await tx.query(
        `update feedback set interaction_id = $2, subject_hash = $3, route = $4, variant = $5, rating = $6,
           reasons = $7, comment = $8, correction = $9, revision = $10, created_at = $11, join_state = $13,
           joined_at = case when $14::boolean then $12::timestamptz else joined_at end
         where feedback_id = $1`,
        [...values, newlyJoined],
      );
    } else {
      await tx.query(
        `insert into feedback (feedback_id, interaction_id, subject_hash, route, variant, rating, reasons,
           comment, correction, revision, created_at, received_at, join_state, joined_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::timestamptz, $13,
           case when $14::boolean then $12::timestamptz end)`,
        [...values, newlyJoined],
      );
    }

    const result: Outcome = {
      changes: [],
      joinLags: newlyJoined ? [now.getTime() - new Date(e.created_at).getTime()] : [],
      vote: { route: e.route, variant: e.variant, rating: e.rating },
    };
    if (decision.state !== 'joined') return result;
    const linked = await this.store.linkedCase(tx, e.feedback_id);
    const effect = caseEffect({
      rating: e.rating,
      linked: linked !== null,
      routed: (interaction?.route ?? null) !== null,
    });
    if (effect === 'link' && interaction) {
      await this.linkAll(
        tx,
        [{ interaction, vote: { feedback_id: e.feedback_id, created_at: new Date(e.created_at) }, result }],
        now,
      );
    } else if (effect === 'unlink' && linked) {
      const change = await this.unlink(tx, linked, e, now);
      if (change) result.changes.push(change);
    }
    return result;
  }

  /** The stored interactions of these ids (those that arrived), in one query. */
  private async storedInteractions(
    tx: SqlExecutor,
    interactionIds: readonly string[],
  ): Promise<Map<string, StoredInteraction>> {
    if (interactionIds.length === 0) return new Map();
    const { rows } = await tx.query<StoredInteraction>(
      `select interaction_id, route, flag_key, variant, model, input, output from interactions
       where interaction_id = any (array(select jsonb_array_elements_text($1::jsonb)))`,
      [JSON.stringify([...new Set(interactionIds)])],
    );
    return new Map(rows.map((r) => [r.interaction_id, r]));
  }

  /**
   * Links dislikes to their route's case for their input, in order: a new case, or a merge into
   * the existing one. Same effect and case events as linking them one at a time (each event shows
   * the case as it was right after its link), in six statements for any number of votes. Each
   * change goes to its vote's `result`.
   */
  private async linkAll(tx: SqlExecutor, list: readonly PendingLink[], now: Date): Promise<void> {
    if (list.length === 0) return;
    // one case seed per route and input hash, seen from the earliest to the latest of its votes
    const seeds: (CaseSeed & { latestSeenAt: Date })[] = [];
    const seedOf = new Map<string, number>();
    const seedIndex = list.map(({ interaction: i, vote }) => {
      const hash = inputHash(i.input);
      const key = `${i.route}\n${hash}`;
      const known = seedOf.get(key);
      if (known !== undefined) {
        const seed = seeds[known]!;
        if (vote.created_at < seed.seenAt) seed.seenAt = vote.created_at;
        if (vote.created_at > seed.latestSeenAt) seed.latestSeenAt = vote.created_at;
        return known;
      }
      seedOf.set(key, seeds.length);
      seeds.push({
        route: i.route!,
        inputHash: hash,
        input: i.input,
        output: i.output,
        variant: i.variant,
        model: i.model,
        flagKey: i.flag_key,
        seenAt: vote.created_at,
        latestSeenAt: vote.created_at,
      });
      return seeds.length - 1;
    });
    await this.store.ensureSets(
      tx,
      seeds.map((s) => s.route),
      now,
    );
    const cases = await this.store.upsertMany(tx, seeds, now);
    const linked = await this.store.linkMany(
      tx,
      list.map(({ interaction, vote }, j) => ({
        caseId: cases[seedIndex[j]!]!.caseId,
        feedbackId: vote.feedback_id,
        interactionId: interaction.interaction_id,
      })),
      now,
    );
    const histories = await this.reader.histories(
      tx,
      list.flatMap(({ vote }, j) => (linked.has(vote.feedback_id) ? [cases[seedIndex[j]!]!.caseId] : [])),
    );
    // walk the votes in order: each case's seen times and whether its first vote was handled
    const seen = cases.map((c) => c.priorSeen);
    const started = cases.map(() => false);
    const records: Parameters<CaseEvents['recordAll']>[1][number][] = [];
    list.forEach(({ vote, result }, j) => {
      const k = seedIndex[j]!;
      const at = vote.created_at;
      const before = seen[k];
      seen[k] = before
        ? { first: at < before.first ? at : before.first, last: at > before.last ? at : before.last }
        : { first: at, last: at };
      const created = cases[k]!.created && !started[k];
      started[k] = true;
      if (!linked.has(vote.feedback_id)) return;
      const caseId = cases[k]!.caseId;
      const action: CaseAction = created ? 'created' : 'merged';
      records.push({
        c: caseAfterLink(histories.get(caseId)!, vote.feedback_id, seen[k]),
        action,
        eventId: created ? `${caseId}:created` : `${caseId}:merged:${vote.feedback_id}`,
      });
      result.changes.push({ route: seeds[k]!.route, action });
    });
    await this.events.recordAll(tx, records, now);
  }

  /** A linked vote became a like: see unlinkOutcome. */
  private async unlink(
    tx: SqlExecutor,
    linked: LinkedCase,
    e: FeedbackEvent,
    now: Date,
  ): Promise<CaseChange | null> {
    const outcome = unlinkOutcome(linked.status, linked.links);
    if (outcome === 'frozen') return null;
    if (outcome === 'unlink') {
      await this.store.unlink(tx, e.feedback_id, now);
      return null;
    }
    await this.store.reject(tx, linked.caseId, WITHDRAWN_REASON, now);
    const c = (await this.reader.get(tx, linked.caseId))!;
    await this.events.record(tx, c, 'rejected', `${c.id}:withdrawn:${e.feedback_id}:${e.revision}`, now);
    return { route: c.route, action: 'withdrawn' };
  }

  /** Counts what a committed event did; true when it changed a case (its event is in the outbox). */
  private committed(outcome: Outcome | Skipped, topic: string): boolean {
    if (outcome === 'redelivered') {
      this.metrics.redelivered(topic);
      return false;
    }
    if (outcome === 'erased') {
      this.metrics.erasedDropped(topic);
      return false;
    }
    if (outcome.vote) this.metrics.voted(outcome.vote.route, outcome.vote.variant, outcome.vote.rating);
    for (const lag of outcome.joinLags) this.metrics.joined(lag);
    for (const change of outcome.changes) this.metrics.caseChanged(change.route, change.action);
    return outcome.changes.length > 0;
  }
}

/** First key of the case advisory locks ('Case'): one per route and input hash. */
const CASE_LOCK_NAMESPACE = 0x43617365;

/**
 * The case locks of these interactions' inputs (route and input hash), in key order: one round
 * trip. Taken after the interaction and subject locks, like every batch does.
 */
async function lockCases(tx: SqlExecutor, interactions: readonly StoredInteraction[]): Promise<void> {
  const keys = interactions.flatMap((i) => (i.route === null ? [] : [`${i.route}\n${inputHash(i.input)}`]));
  await advisoryLocks(tx, 'pg_advisory_xact_lock', CASE_LOCK_NAMESPACE, keys);
}

/** Transaction-level advisory locks on `(namespace, hashtext(key))`, taken in hash order in one statement. */
async function advisoryLocks(
  tx: SqlExecutor,
  fn: 'pg_advisory_xact_lock' | 'pg_advisory_xact_lock_shared',
  namespace: number,
  keys: readonly string[],
): Promise<void> {
  if (keys.length === 0) return;
  await tx.query(
    `select count(${fn}($1, h)) from (select distinct hashtext(k) as h
       from jsonb_array_elements_text($2::jsonb) as k order by 1) as keys`,
    [namespace, JSON.stringify(keys)],
  );
}

/**
 * The interactions' locks, then their subjects', shared (see lockSubject), each set in the order
 * of its keys so that concurrent batches take them alike: two round trips for any batch size.
 */
async function lockAll(tx: SqlExecutor, events: readonly JoinEvent[]): Promise<void> {
  await advisoryLocks(
    tx,
    'pg_advisory_xact_lock',
    LOCK_NAMESPACE,
    events.map((e) => e.data.interaction_id),
  );
  await advisoryLocks(
    tx,
    'pg_advisory_xact_lock_shared',
    SUBJECT_LOCK_NAMESPACE,
    events.map((e) => e.data.subject_hash),
  );
}
