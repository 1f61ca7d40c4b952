import { Logger } from '@nestjs/common';
import type { Clock, RolloutsConfig, SqlDatabase, SqlExecutor } from '@flywheel/platform';
import type { GateRunner } from './gate-runner';
import { type GateState, gateState } from './gate-view';
import { GateStore } from './gate.store';

/** Statuses in which a rollout is under way, so its candidate needs a current gate run. */
const ACTIVE = ['running', 'holding', 'paused'];

export interface GateServiceOptions {
  /** per route: a hash of what the candidate answers with (plan and variant config) */
  configHash(route: string): string;
  /** called after every finished run (the controller re-decides) */
  onRun(): void;
  /** after a run that could not finish, try again after this */
  retryMs: number;
}

/**
 * The regression gate of every planned route. A run is owed when a rollout starts, when an
 * accepted case of the route changes, and when the candidate's config differs from the one
 * the last run saw (checked at boot); the owed run is kept in Postgres, so a restart finishes
 * it. Runs go one at a time per route; a request during a run owes another run after it. A
 * run that cannot finish (curator or gateway unreachable, token refused) is retried.
 */
export class GateService {
  private readonly logger = new Logger('RolloutGate');
  private readonly store = new GateStore();
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly retries = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly db: SqlDatabase,
    private readonly plans: RolloutsConfig,
    private readonly runner: GateRunner,
    private readonly clock: Clock,
    private readonly options: GateServiceOptions,
  ) {}

  /** One gate row per plan; owes a run to each active rollout whose last run is stale or unfinished. */
  async init(): Promise<void> {
    for (const route of Object.keys(this.plans)) {
      const record = await this.store.ensure(this.db, route);
      if (!(await this.active(route))) continue;
      if (record.requested > record.ran) this.kick(route);
      else if (record.status === 'none') await this.request(route, 'the rollout has no gate run yet');
      else if (record.config_hash !== this.options.configHash(route))
        await this.request(route, "the candidate's config changed");
    }
  }

  /** Owes the route a run and starts it (or queues it behind the one running). */
  async request(route: string, reason: string): Promise<void> {
    if (!Object.hasOwn(this.plans, route)) return;
    await this.store.request(this.db, route, reason);
    this.kick(route);
  }

  /** An accepted case of `route` was added, changed or rejected: re-run if the rollout is under way. */
  async casesChanged(route: string, reason: string): Promise<void> {
    if (!Object.hasOwn(this.plans, route) || !(await this.active(route))) return;
    await this.request(route, reason);
  }

  async state(tx: SqlExecutor, route: string): Promise<GateState> {
    return gateState(await this.store.get(tx, route));
  }

  /** Waits for the runs in flight; starts no new one. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.retries.values()) clearTimeout(timer);
    this.retries.clear();
    await Promise.all(this.running.values());
  }

  private kick(route: string): void {
    if (this.stopped) return;
    if (this.running.has(route)) {
      this.again.add(route);
      return;
    }
    const timer = this.retries.get(route);
    if (timer) clearTimeout(timer);
    this.retries.delete(route);
    const loop = (async () => {
      do {
        this.again.delete(route);
        await this.runOwed(route).catch((err: Error) =>
          this.logger.error(`${route}: gate bookkeeping failed: ${err.message}`),
        );
      } while (this.again.has(route) && !this.stopped);
      this.running.delete(route);
    })();
    this.running.set(route, loop);
  }

  private async runOwed(route: string): Promise<void> {
    const record = await this.store.get(this.db, route);
    if (!record || record.requested <= record.ran || !(await this.active(route))) return;
    const plan = this.plans[route]!;
    const hash = this.options.configHash(route);
    try {
      const result = await this.runner.run(route, plan);
      await this.store.finished(
        this.db,
        route,
        record.requested,
        result,
        plan.gate.min_pass_rate,
        hash,
        new Date(this.clock.now()),
      );
      this.logger.log(
        `${route}: gate ${result.passed ? 'passed' : 'failed'}: ${result.cases} cases, pass rate ` +
          `${(result.pass_rate * 100).toFixed(1)} %${result.run_id ? ` (run ${result.run_id})` : ''}`,
      );
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      await this.store.failedToRun(this.db, route, message);
      this.logger.warn(
        `${route}: the gate could not run: ${message}; retrying in ${this.options.retryMs} ms`,
      );
      this.retry(route);
    }
    this.options.onRun();
  }

  private retry(route: string): void {
    if (this.stopped) return;
    clearTimeout(this.retries.get(route));
    const timer = setTimeout(() => {
      this.retries.delete(route);
      this.kick(route);
    }, this.options.retryMs);
    timer.unref();
    this.retries.set(route, timer);
  }

  private async active(route: string): Promise<boolean> {
    const r = await this.db.query<{ status: string }>(`select status from rollout_state where route = $1`, [
      route,
    ]);
    return ACTIVE.includes(r.rows[0]?.status ?? '');
  }
}
