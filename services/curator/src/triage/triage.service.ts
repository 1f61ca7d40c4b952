import { Logger } from '@nestjs/common';
import type {
  AcceptCaseRequest,
  Assertion,
  BulkCaseRequest,
  BulkCaseResult,
  CaseList,
  CaseQuery,
  EvalCase,
  EvalCaseDetail,
} from '@flywheel/contracts';
import { type Clock, DomainError, type SqlDatabase } from '@flywheel/platform';
import type { CuratorMetrics } from '../curator.metrics';
import type { CaseEvents } from '../cases/case-events';
import type { CaseReader } from '../cases/case-reader';
import type { CaseStore } from '../cases/case-store';

/**
 * Triage of eval cases: list, inspect, accept with assertions, reject. Status rules
 * (README "Triage"): a `new` case may be accepted or rejected; an accepted case may be
 * accepted again (replacing its expected answer and assertions) or rejected (taking it out of
 * the eval set); a rejected case is final (409). Every change emits an EvalCaseEvent.
 */
export class TriageService {
  private readonly logger = new Logger('TriageService');

  constructor(
    private readonly db: SqlDatabase,
    private readonly store: CaseStore,
    private readonly reader: CaseReader,
    private readonly events: CaseEvents,
    private readonly metrics: CuratorMetrics,
    private readonly clock: Clock,
  ) {}

  list(query: CaseQuery): Promise<CaseList> {
    return this.reader.list(this.db, query);
  }

  async detail(caseId: string): Promise<EvalCaseDetail> {
    return (await this.reader.detail(this.db, caseId)) ?? notFound(caseId);
  }

  /** `expected` defaults to the case's current expected answer, else its correction. */
  async accept(caseId: string, request: AcceptCaseRequest): Promise<EvalCase> {
    const now = new Date(this.clock.now());
    const accepted = await this.db.transaction(async (tx) => {
      const status = await this.store.lock(tx, caseId);
      if (status === null) return notFound(caseId);
      if (status === 'rejected') {
        throw new DomainError(
          'conflict',
          `case ${caseId} is rejected; only new or accepted cases can be accepted`,
        );
      }
      const current = (await this.reader.get(tx, caseId))!;
      const expected = request.expected ?? current.expected ?? current.correction ?? null;
      await this.store.accept(tx, caseId, { expected, assertions: request.assertions }, now);
      const c = (await this.reader.get(tx, caseId))!;
      await this.events.record(tx, c, 'accepted', `${caseId}:accepted:${now.getTime()}`, now);
      return c;
    });
    this.changed(accepted, 'accepted');
    return accepted;
  }

  async reject(caseId: string, reason: string): Promise<EvalCase> {
    const now = new Date(this.clock.now());
    const rejected = await this.db.transaction(async (tx) => {
      const status = await this.store.lock(tx, caseId);
      if (status === null) return notFound(caseId);
      if (status === 'rejected') throw new DomainError('conflict', `case ${caseId} is already rejected`);
      await this.store.reject(tx, caseId, reason, now);
      const c = (await this.reader.get(tx, caseId))!;
      await this.events.record(tx, c, 'rejected', `${caseId}:rejected:${now.getTime()}`, now);
      return c;
    });
    this.changed(rejected, 'rejected');
    return rejected;
  }

  /** Accepts (with the given assertions, else each case's suggested ones) or rejects each case on its own. */
  async bulk(request: BulkCaseRequest): Promise<BulkCaseResult> {
    const results: BulkCaseResult['results'] = [];
    for (const id of new Set(request.ids)) {
      try {
        if (request.action === 'reject') await this.reject(id, request.reason);
        else await this.accept(id, { assertions: request.assertions ?? (await this.suggested(id)) });
        results.push({ id, ok: true });
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        results.push({ id, ok: false, error: `${err.code}: ${err.message}` });
      }
    }
    return { results };
  }

  private async suggested(caseId: string): Promise<Assertion[]> {
    const { suggested_assertions } = await this.detail(caseId);
    if (suggested_assertions.length === 0) {
      throw new DomainError(
        'invalid_request',
        `case ${caseId}: its reasons suggest no assertion; accept it with explicit assertions`,
      );
    }
    return suggested_assertions;
  }

  private changed(c: EvalCase, action: 'accepted' | 'rejected'): void {
    this.metrics.caseChanged(c.route, action);
    this.events
      .drain()
      .catch((err: unknown) => this.logger.warn(`case events not published yet: ${String(err)}`));
  }
}

function notFound(caseId: string): never {
  throw new DomainError('not_found', `no case ${caseId}`);
}
