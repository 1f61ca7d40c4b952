import { Logger } from '@nestjs/common';
import type { EvalCase, EvalCaseEvent } from '@flywheel/contracts';
import { type EventBus, InvalidEventError, type SqlDatabase, type SqlExecutor } from '@flywheel/platform';

export type CaseAction = EvalCaseEvent['action'];

/**
 * EvalCaseEvents (`flywheel.eval-cases.v1`, key case_id) through a transactional outbox: the
 * event is written in the same transaction as the case change, and published after the
 * commit (and by the periodic sweep, for whatever a crash left behind). So a committed change
 * always gets its event, at least once; the CloudEvents id is stable (`<case>:<action>:<what>`)
 * so consumers can drop repeats.
 */
export class CaseEvents {
  private readonly logger = new Logger('CaseEvents');
  private draining: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly db: SqlDatabase,
    private readonly bus: Pick<EventBus, 'publish'>,
  ) {}

  /** Queues the event of `c` (as it is inside `tx`) for publishing once `tx` commits. */
  record(tx: SqlExecutor, c: EvalCase, action: CaseAction, eventId: string, now: Date): Promise<void> {
    return this.recordAll(tx, [{ c, action, eventId }], now);
  }

  /** Queues these events, in this order, with one statement (see {@link record}). */
  async recordAll(
    tx: SqlExecutor,
    entries: readonly { c: EvalCase; action: CaseAction; eventId: string }[],
    now: Date,
  ): Promise<void> {
    if (entries.length === 0) return;
    const rows = entries.map(({ c, action, eventId }, i) => {
      const payload: EvalCaseEvent = {
        case_id: c.id,
        route: c.route,
        action,
        status: c.status,
        count: c.count,
        input: c.input,
        output: c.output,
        reasons: c.reasons,
        ...(c.comment !== undefined && { comment: c.comment }),
        ...(c.correction !== undefined && { correction: c.correction }),
        variant: c.variant,
        model: c.model,
        ...(c.flag_key !== undefined && { flag_key: c.flag_key }),
        lineage: c.lineage,
        created_at: now.toISOString(),
      };
      return { i, event_id: eventId, payload };
    });
    // the outbox's seq follows this order, so the events of one case are published in order
    await tx.query(
      `insert into case_event_outbox (event_id, payload, created_at)
       select event_id, payload, $2 from jsonb_to_recordset($1::jsonb) as e(i int, event_id text, payload jsonb)
       order by i
       on conflict (event_id) do nothing`,
      [JSON.stringify(rows), now],
    );
  }

  /** Publishes every queued event, oldest first; one drain at a time (a call during one runs it again after). */
  drain(): Promise<void> {
    if (this.draining) {
      this.again = true;
      return this.draining;
    }
    this.draining = (async () => {
      try {
        do {
          this.again = false;
          await this.publishPending();
        } while (this.again);
      } finally {
        this.draining = null;
      }
    })();
    return this.draining;
  }

  /** Publishes the outbox 100 events at a time: appended to the spool together, in order, then deleted. */
  private async publishPending(): Promise<void> {
    for (;;) {
      const { rows } = await this.db.query<{ seq: string; event_id: string; payload: EvalCaseEvent }>(
        'select seq, event_id, payload from case_event_outbox order by seq limit 100',
      );
      if (rows.length === 0) return;
      // all appends are queued at once (in seq order, so per case in order) and share the spool's fsync
      const published = await Promise.allSettled(
        rows.map((row) =>
          this.bus.publish({
            type: 'dev.flywheel.eval-case.v1',
            key: row.payload.case_id,
            id: row.event_id,
            data: row.payload,
          }),
        ),
      );
      const done: string[] = [];
      for (const [i, result] of published.entries()) {
        const row = rows[i]!;
        if (result.status === 'rejected') {
          const err: unknown = result.reason;
          if (!(err instanceof InvalidEventError)) break; // spool full or closing: this one and the rest next drain
          this.logger.error(`dropping case event ${row.event_id}: ${err.message}`);
        }
        done.push(row.seq);
      }
      if (done.length > 0) {
        await this.db.query(
          'delete from case_event_outbox where seq = any (array(select jsonb_array_elements_text($1::jsonb)::bigint))',
          [JSON.stringify(done)],
        );
      }
      if (done.length < rows.length) {
        const err = published.find(
          (r) => r.status === 'rejected' && !(r.reason instanceof InvalidEventError),
        );
        throw (err as PromiseRejectedResult).reason;
      }
    }
  }
}
