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
import type { CaseReader } from '../cases/case-reader';
import type { CaseStore, LinkedCase } from '../cases/case-store';
import type { Redactor } from '@flywheel/platform';
import { isErased, SUBJECT_LOCK_NAMESPACE } from '../subjects/subject-lock';
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
   * Stores an interaction and joins the votes that were waiting (or parked) for it. An erased
   * subject's interaction is dropped (a replay of the topic must not bring it back).
   */
  async interaction(e: InteractionEvent): Promise<void> {
    const now = new Date(this.clock.now());
    const interaction: StoredInteraction = {
      interaction_id: e.interaction_id,
      route: e.route,
      flag_key: e.flag_key ?? null,
      variant: e.variant,
      model: e.final_model,
      input: this.redactor.redactValue(caseInput(e.request)),
      output: e.output === null ? null : this.redactor.redact(e.output),
    };
    const outcome = await this.db.transaction(async (tx): Promise<Outcome | Skipped> => {
      await lock(tx, e.interaction_id, e.subject_hash);
      if (await isErased(tx, e.subject_hash)) return 'erased';
      const inserted = await tx.query(
        `insert into interactions (interaction_id, route, flag_key, variant, model, status, input, output,
           started_at, received_at, subject_hash)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) on conflict (interaction_id) do nothing`,
        [
          interaction.interaction_id,
          interaction.route,
          interaction.flag_key,
          interaction.variant,
          interaction.model,
          e.status,
          JSON.stringify(interaction.input),
          interaction.output,
          new Date(e.started_at),
          now,
          e.subject_hash,
        ],
      );
      if (inserted.rowCount === 0) return 'redelivered';
      const waiting = await tx.query<WaitingVote>(
        `select feedback_id, rating, route, created_at, join_state from feedback
         where interaction_id = $1 and join_state <> 'joined' order by received_at, feedback_id for update`,
        [e.interaction_id],
      );
      const result: Outcome = { changes: [], joinLags: [] };
      for (const vote of waiting.rows) {
        await tx.query(`update feedback set join_state = 'joined', joined_at = $2 where feedback_id = $1`, [
          vote.feedback_id,
          now,
        ]);
        result.joinLags.push(now.getTime() - vote.created_at.getTime());
        if (
          caseEffect({ rating: vote.rating, linked: false, routed: interaction.route !== null }) === 'link'
        ) {
          const change = await this.link(tx, interaction, vote, now);
          if (change) result.changes.push(change);
        }
      }
      return result;
    });
    this.committed(outcome, Topics.interactions);
  }

  /**
   * Stores a vote (a newer revision replaces the older) and applies it to cases once joined. An
   * erased subject's vote is dropped.
   */
  async feedback(e: FeedbackEvent): Promise<void> {
    const now = new Date(this.clock.now());
    const comment = e.comment === undefined ? null : this.redactor.redact(e.comment);
    const correction = e.correction === undefined ? null : this.redactor.redact(e.correction);
    const outcome = await this.db.transaction(async (tx): Promise<Outcome | Skipped> => {
      await lock(tx, e.interaction_id, e.subject_hash);
      if (await isErased(tx, e.subject_hash)) return 'erased';
      const { rows } = await tx.query<{ revision: number; join_state: JoinState }>(
        'select revision, join_state from feedback where feedback_id = $1 for update',
        [e.feedback_id],
      );
      const stored = rows[0] ? { revision: rows[0].revision, state: rows[0].join_state } : null;
      const interaction = await this.storedInteraction(tx, e.interaction_id);
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
        const change = await this.link(
          tx,
          interaction,
          { feedback_id: e.feedback_id, created_at: new Date(e.created_at) },
          now,
        );
        if (change) result.changes.push(change);
      } else if (effect === 'unlink' && linked) {
        const change = await this.unlink(tx, linked, e, now);
        if (change) result.changes.push(change);
      }
      return result;
    });
    this.hooks.afterFeedbackCommit?.(e.feedback_id);
    this.committed(outcome, Topics.feedback);
  }

  private async storedInteraction(tx: SqlExecutor, interactionId: string): Promise<StoredInteraction | null> {
    const { rows } = await tx.query<StoredInteraction>(
      `select interaction_id, route, flag_key, variant, model, input, output from interactions
       where interaction_id = $1`,
      [interactionId],
    );
    return rows[0] ?? null;
  }

  /** Links a dislike to its route's case for this input: a new case, or a merge into the existing one. */
  private async link(
    tx: SqlExecutor,
    interaction: StoredInteraction,
    vote: { feedback_id: string; created_at: Date },
    now: Date,
  ): Promise<CaseChange | null> {
    const route = interaction.route!;
    await this.store.ensureSet(tx, route, now);
    const { caseId, created } = await this.store.upsert(
      tx,
      {
        route,
        inputHash: inputHash(interaction.input),
        input: interaction.input,
        output: interaction.output,
        variant: interaction.variant,
        model: interaction.model,
        flagKey: interaction.flag_key,
        seenAt: vote.created_at,
      },
      now,
    );
    const linked = await this.store.link(
      tx,
      { caseId, feedbackId: vote.feedback_id, interactionId: interaction.interaction_id },
      now,
    );
    if (!linked) return null;
    const action: CaseAction = created ? 'created' : 'merged';
    const eventId = created ? `${caseId}:created` : `${caseId}:merged:${vote.feedback_id}`;
    await this.events.record(tx, (await this.reader.get(tx, caseId))!, action, eventId, now);
    return { route, action };
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

  private committed(outcome: Outcome | Skipped, topic: string): void {
    if (outcome === 'redelivered') return this.metrics.redelivered(topic);
    if (outcome === 'erased') return this.metrics.erasedDropped(topic);
    if (outcome.vote) this.metrics.voted(outcome.vote.route, outcome.vote.variant, outcome.vote.rating);
    for (const lag of outcome.joinLags) this.metrics.joined(lag);
    for (const change of outcome.changes) this.metrics.caseChanged(change.route, change.action);
    if (outcome.changes.length > 0) {
      this.events
        .drain()
        .catch((err: unknown) => this.logger.warn(`case events not published yet: ${String(err)}`));
    }
  }
}

/** The interaction's lock, then its subject's, shared (see lockSubject): one round trip. */
function lock(tx: SqlExecutor, interactionId: string, subjectHash: string): Promise<unknown> {
  return tx.query(
    'select pg_advisory_xact_lock($1, hashtext($2)), pg_advisory_xact_lock_shared($3, hashtext($4))',
    [LOCK_NAMESPACE, interactionId, SUBJECT_LOCK_NAMESPACE, subjectHash],
  );
}
