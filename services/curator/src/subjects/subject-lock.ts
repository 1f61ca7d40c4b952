import type { SqlExecutor } from '@flywheel/platform';

/** First key of the subject advisory locks ('Subj'), clear of the join and migration locks. */
export const SUBJECT_LOCK_NAMESPACE = 0x5375626a;

/**
 * Serializes an erase against the events of its subject: every join transaction holds the
 * subject's lock shared from before it checks {@link erasedAmong} until it commits, and an erase
 * holds it exclusively while it marks the subject erased and deletes its rows. So an event
 * handled concurrently either committed before the erase (and is deleted by it) or sees the
 * subject erased (and is dropped): nothing slips in between.
 */
export function lockSubject(
  tx: SqlExecutor,
  subjectHash: string,
  mode: 'shared' | 'exclusive',
): Promise<unknown> {
  const fn = mode === 'shared' ? 'pg_advisory_xact_lock_shared' : 'pg_advisory_xact_lock';
  return tx.query(`select ${fn}($1, hashtext($2))`, [SUBJECT_LOCK_NAMESPACE, subjectHash]);
}

/** Which of these subjects were erased: their events are dropped, never stored again. One query. */
export async function erasedAmong(tx: SqlExecutor, subjectHashes: readonly string[]): Promise<Set<string>> {
  const { rows } = await tx.query<{ subject_hash: string }>(
    `select subject_hash from erased_subjects
     where subject_hash = any (array(select jsonb_array_elements_text($1::jsonb)))`,
    [JSON.stringify([...new Set(subjectHashes)])],
  );
  return new Set(rows.map((r) => r.subject_hash));
}
