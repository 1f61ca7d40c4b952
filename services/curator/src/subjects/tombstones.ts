import { Logger } from '@nestjs/common';
import type { SubjectErasedEvent } from '@flywheel/contracts';
import { type EventBus, InvalidEventError, type SqlDatabase } from '@flywheel/platform';

/**
 * Tombstones (`dev.flywheel.subject-erased.v1` on `flywheel.subjects.v1`, key subject_hash) go
 * out like case events: the erase transaction stores the tombstone on the subject's
 * `erased_subjects` row, and it is published after the commit (by the erase request itself,
 * and by the periodic sweep for whatever a crash or a full spool left behind). The CloudEvents
 * id is the request's `tombstone_id`.
 */
export class Tombstones {
  private readonly logger = new Logger('Tombstones');

  constructor(
    private readonly db: SqlDatabase,
    private readonly bus: Pick<EventBus, 'publish'>,
  ) {}

  /** Publishes the pending tombstone of one subject (the erase request's own), if still pending. */
  publishOne(subjectHash: string): Promise<number> {
    return this.publish('where subject_hash = $1 and tombstone is not null', [subjectHash]);
  }

  /** Publishes every pending tombstone, oldest erase first. */
  drain(): Promise<number> {
    return this.publish('where tombstone is not null order by erased_at limit 100', []);
  }

  private async publish(where: string, params: unknown[]): Promise<number> {
    let published = 0;
    for (;;) {
      const { rows } = await this.db.query<{ tombstone_id: string; tombstone: SubjectErasedEvent }>(
        `select tombstone_id, tombstone from erased_subjects ${where}`,
        params,
      );
      if (rows.length === 0) return published;
      for (const row of rows) {
        try {
          await this.bus.publish({
            type: 'dev.flywheel.subject-erased.v1',
            key: row.tombstone.subject_hash,
            id: row.tombstone_id,
            data: row.tombstone,
          });
          published++;
        } catch (err) {
          if (!(err instanceof InvalidEventError)) throw err; // spool full or closing: next drain
          this.logger.error(`dropping tombstone ${row.tombstone_id}: ${err.message}`);
        }
        // only this request's tombstone: a newer erase of the subject has its own id to publish
        await this.db.query(
          'update erased_subjects set tombstone = null where subject_hash = $1 and tombstone_id = $2',
          [row.tombstone.subject_hash, row.tombstone_id],
        );
      }
    }
  }
}
