import { randomUUID } from 'node:crypto';
import { type SubjectErasedEvent, type SubjectErasure, TOMBSTONE_MAX_CASE_IDS } from '@flywheel/contracts';
import { type Clock, DomainError, type SqlDatabase, type SqlExecutor, subjectHash } from '@flywheel/platform';
import type { CuratorMetrics } from '../curator.metrics';
import { lockSubject } from './subject-lock';
import type { Tombstones } from './tombstones';

interface TouchedCase {
  case_id: string;
  /** a vote of another subject is linked to it */
  others: boolean;
  /** its input/output came from this subject: first linked vote theirs, or equal to one of their interactions */
  copied: boolean;
}

/**
 * Erases one subject from the curator's database (README "Erasing a subject"), in one
 * transaction under the subject's exclusive lock:
 * 1. marks the subject erased (`erased_subjects`): from then on the join drops its events;
 * 2. cases linked to its votes: deleted when no other subject's vote is linked (whatever their
 *    status), else kept without its links — and re-seated (input, output, variant, model, flag
 *    key from the earliest remaining linked vote's interaction) when their input or output was
 *    this subject's; an `expected` equal to one of its corrections is cleared;
 * 3. deletes its votes (every state) and its interactions (by subject_hash, and through its
 *    votes for rows stored before interactions had one), pending case events holding its data,
 *    and the model answers stored by eval runs for the deleted cases;
 * 4. stores the tombstone, published once the transaction committed.
 */
export class SubjectEraser {
  constructor(
    private readonly db: SqlDatabase,
    private readonly tombstones: Tombstones,
    private readonly metrics: CuratorMetrics,
    private readonly clock: Clock,
    /** FLYWHEEL_FEEDBACK_SECRET: without it only erasing by subject hash works */
    private readonly feedbackSecret: string | undefined,
  ) {}

  /** Erases the subject of a targeting key (its HMAC under FLYWHEEL_FEEDBACK_SECRET, as the gateway computes it). */
  eraseTargetingKey(targetingKey: string): Promise<SubjectErasure> {
    if (this.feedbackSecret === undefined) {
      throw new DomainError(
        'not_configured',
        'this curator has no FLYWHEEL_FEEDBACK_SECRET, so it cannot hash a targeting key: set it (the value the gateway uses), or erase by subject hash: POST /v1/subjects/by-hash/{subject_hash}/erase',
      );
    }
    return this.erase(subjectHash(targetingKey, this.feedbackSecret));
  }

  async erase(subjectHash: string): Promise<SubjectErasure> {
    const now = new Date(this.clock.now());
    const tombstoneId = randomUUID();
    const result = await this.db.transaction((tx) => this.eraseIn(tx, subjectHash, tombstoneId, now));
    this.metrics.subjectErased();
    // the answer waits for the tombstone to be durable in the spool; if that fails, the sweep retries
    await this.tombstones.publishOne(subjectHash);
    return result;
  }

  private async eraseIn(
    tx: SqlExecutor,
    subject: string,
    tombstoneId: string,
    now: Date,
  ): Promise<SubjectErasure> {
    await lockSubject(tx, subject, 'exclusive');
    const mark = await tx.query<{ first_erased_at: Date }>(
      `insert into erased_subjects (subject_hash, first_erased_at, erased_at, tombstone_id)
       values ($1, $2, $2, $3)
       on conflict (subject_hash) do update set erased_at = excluded.erased_at, tombstone_id = excluded.tombstone_id
       returning first_erased_at`,
      [subject, now, tombstoneId],
    );
    const firstErasedAt = mark.rows[0]!.first_erased_at;

    const votes = await tx.query<{ feedback_id: string; interaction_id: string; correction: string | null }>(
      'select feedback_id, interaction_id, correction from feedback where subject_hash = $1 for update',
      [subject],
    );
    const feedbackIds = votes.rows.map((v) => v.feedback_id);
    const interactions = await tx.query<{ interaction_id: string }>(
      `select interaction_id from interactions where subject_hash = $1 or interaction_id = any($2::text[])
       for update`,
      [subject, votes.rows.map((v) => v.interaction_id)],
    );
    const interactionIds = interactions.rows.map((i) => i.interaction_id);
    const corrections = votes.rows.flatMap((v) => (v.correction === null ? [] : [v.correction]));

    const touched = await tx.query<TouchedCase>(
      `select c.case_id,
         exists (select 1 from case_feedback o where o.case_id = c.case_id and o.feedback_id <> all($1::text[]))
           as others,
         ((select f.feedback_id from case_feedback f where f.case_id = c.case_id order by f.seq limit 1) = any($1::text[])
           or exists (select 1 from interactions i where i.interaction_id = any($2::text[])
             and (i.input = c.input or i.output = c.output)))
           as copied
       from eval_cases c
       where c.case_id in (select case_id from case_feedback where feedback_id = any($1::text[]))
       order by c.case_id for update of c`,
      [feedbackIds, interactionIds],
    );
    const deletedCases = touched.rows.filter((c) => !c.others).map((c) => c.case_id);
    const changed = touched.rows.filter((c) => c.others);

    const pendingEvents = await tx.query(
      `delete from case_event_outbox
       where payload->>'case_id' = any($1::text[]) or (payload->'lineage'->'feedback_ids') ?| $2::text[]`,
      [deletedCases, feedbackIds],
    );
    const clearedResults = await tx.query(
      `update eval_results set result = jsonb_set(result, '{output}', 'null'::jsonb)
       where case_id = any($1::text[]) and result->'output' <> 'null'::jsonb`,
      [deletedCases],
    );
    const cases = await tx.query('delete from eval_cases where case_id = any($1::text[])', [deletedCases]);
    // links go with the votes (case_feedback references feedback on delete cascade)
    const deletedVotes = await tx.query('delete from feedback where subject_hash = $1', [subject]);
    const deletedInteractions = await tx.query(
      'delete from interactions where interaction_id = any($1::text[])',
      [interactionIds],
    );
    for (const c of changed) await this.reseat(tx, c, corrections, now);

    const erasure: SubjectErasure = {
      subject_hash: subject,
      erased_at: now.toISOString(),
      first_erased_at: firstErasedAt.toISOString(),
      deleted: {
        interactions: deletedInteractions.rowCount,
        votes: deletedVotes.rowCount,
        cases: cases.rowCount,
        pending_case_events: pendingEvents.rowCount,
      },
      changed_cases: changed.length,
      cleared_eval_results: clearedResults.rowCount,
      case_ids: { deleted: deletedCases, changed: changed.map((c) => c.case_id) },
      tombstone_id: tombstoneId,
    };
    await tx.query('update erased_subjects set tombstone = $2 where subject_hash = $1', [
      subject,
      JSON.stringify(tombstoneOf(erasure)),
    ]);
    return erasure;
  }

  /**
   * A case kept for other subjects' votes: its seen times follow the remaining votes, an
   * `expected` copied from this subject's correction is cleared, and input/output copied from
   * this subject's interaction are replaced by those of the earliest remaining linked vote's
   * interaction — or, when none of those is stored any more (retention), the output is cleared
   * and the input kept: the remaining votes' inputs normalize to the same text (that is how
   * they merged).
   */
  private async reseat(tx: SqlExecutor, c: TouchedCase, corrections: string[], now: Date): Promise<void> {
    await tx.query(
      `update eval_cases set
         first_seen_at = coalesce((select min(f.created_at) from case_feedback cf
           join feedback f on f.feedback_id = cf.feedback_id where cf.case_id = $1), first_seen_at),
         last_seen_at = coalesce((select max(f.created_at) from case_feedback cf
           join feedback f on f.feedback_id = cf.feedback_id where cf.case_id = $1), last_seen_at),
         expected = case when expected = any($2::text[]) then null else expected end,
         updated_at = $3
       where case_id = $1`,
      [c.case_id, corrections, now],
    );
    if (!c.copied) return;
    const seat = await tx.query(
      `update eval_cases c set input = i.input, output = i.output, variant = i.variant, model = i.model,
         flag_key = i.flag_key
       from (select i.input, i.output, i.variant, i.model, i.flag_key from case_feedback cf
             join interactions i on i.interaction_id = cf.interaction_id
             where cf.case_id = $1 order by cf.seq limit 1) i
       where c.case_id = $1`,
      [c.case_id],
    );
    if (seat.rowCount === 0) {
      await tx.query('update eval_cases set output = null where case_id = $1', [c.case_id]);
    }
  }
}

/** The tombstone of an erasure: case ids capped (the HTTP answer lists them all). */
export function tombstoneOf(erasure: SubjectErasure): SubjectErasedEvent {
  const { deleted, changed } = erasure.case_ids;
  return {
    subject_hash: erasure.subject_hash,
    erased_at: erasure.erased_at,
    first_erased_at: erasure.first_erased_at,
    case_ids: {
      deleted: deleted.slice(0, TOMBSTONE_MAX_CASE_IDS),
      changed: changed.slice(0, TOMBSTONE_MAX_CASE_IDS),
      truncated: deleted.length > TOMBSTONE_MAX_CASE_IDS || changed.length > TOMBSTONE_MAX_CASE_IDS,
    },
  };
}
