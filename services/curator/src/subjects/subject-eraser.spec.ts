import { SubjectErasedEvent, type SubjectErasure, TOMBSTONE_MAX_CASE_IDS } from '@flywheel/contracts';
import { tombstoneOf } from './subject-eraser';

const erasure = (deleted: number, changed: number): SubjectErasure => ({
  subject_hash: 'ab'.repeat(32),
  erased_at: '2026-12-04T16:00:00.000Z',
  first_erased_at: '2026-12-01T09:30:00.000Z',
  deleted: { interactions: 5, votes: 3, cases: deleted, pending_case_events: 0 },
  changed_cases: changed,
  cleared_eval_results: 0,
  case_ids: {
    deleted: Array.from({ length: deleted }, (_, i) => `deleted-${i}`),
    changed: Array.from({ length: changed }, (_, i) => `changed-${i}`),
  },
  tombstone_id: 'tomb-1',
});

describe('tombstoneOf', () => {
  it('carries the subject, both erase times and every case id when they fit', () => {
    const t = tombstoneOf(erasure(2, 1));
    expect(SubjectErasedEvent.parse(t)).toEqual({
      subject_hash: 'ab'.repeat(32),
      erased_at: '2026-12-04T16:00:00.000Z',
      first_erased_at: '2026-12-01T09:30:00.000Z',
      case_ids: { deleted: ['deleted-0', 'deleted-1'], changed: ['changed-0'], truncated: false },
    });
  });

  it('caps each list at the contract bound and says so, so the event stays valid', () => {
    const t = tombstoneOf(erasure(TOMBSTONE_MAX_CASE_IDS + 500, 3));
    expect(SubjectErasedEvent.safeParse(t).success).toBe(true);
    expect(t.case_ids.deleted).toHaveLength(TOMBSTONE_MAX_CASE_IDS);
    expect(t.case_ids.changed).toHaveLength(3);
    expect(t.case_ids.truncated).toBe(true);
  });
});
