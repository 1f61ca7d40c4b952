import { Logger } from '@nestjs/common';
import type { RolloutState } from '@flywheel/contracts';
import {
  type Clock,
  DomainError,
  type EventBus,
  type RolloutPlanConfig,
  type RolloutsConfig,
  type SqlDatabase,
  type SqlExecutor,
} from '@flywheel/platform';
import type { MutableEvidence } from '../decision/evidence';
import { assessGuardrails, votes } from '../decision/guardrails';
import {
  applyManual,
  decide,
  type DecisionInput,
  type ManualAction,
  type Outcome,
  percentOf,
} from '../decision/state-machine';
import type { EvidenceStore } from '../evidence/evidence.store';
import type { GateService } from '../gate/gate.service';
import type { RolloutMetrics } from '../rollouts.metrics';
import { planRevision } from './plan-revision';
import { jsonSafe, type RolloutStore, type StoredRollout } from './rollout.store';

/**
 * Decides every planned route on fresh evidence and on a timer, applies admin actions, and
 * publishes each decision as `dev.flywheel.rollout-decision.v1` through an outbox (the
 * decision row is written with the state change; published after the commit).
 * Decisions run one at a time per process.
 */
export class RolloutService {
  private readonly logger = new Logger('RolloutService');
  private queue: Promise<unknown> = Promise.resolve();
  private readonly changeListeners: (() => void)[] = [];
  private changed = false;

  constructor(
    private readonly db: SqlDatabase,
    private readonly plans: RolloutsConfig,
    private readonly evidence: EvidenceStore,
    private readonly store: RolloutStore,
    private readonly bus: Pick<EventBus, 'publish'>,
    private readonly clock: Clock,
    private readonly metrics: RolloutMetrics,
    private readonly gates: Pick<GateService, 'state' | 'request'>,
  ) {}

  /** One state row per plan (pending until started); keeps existing state across restarts. */
  async init(): Promise<void> {
    const now = new Date(this.clock.now());
    await this.db.transaction(async (tx) => {
      for (const [route, plan] of Object.entries(this.plans))
        await this.store.ensure(tx, route, planRevision(plan), now);
    });
    await this.publishPending();
    for (const route of Object.keys(this.plans)) await this.refreshMetrics(route);
  }

  /** Re-decides every planned route (after a batch of evidence, and on the timer). */
  decideAll(): Promise<void> {
    return this.serial(async () => {
      for (const route of Object.keys(this.plans)) {
        await this.db.transaction(async (tx) => {
          const stored = await this.store.get(tx, route, true);
          if (!stored) return;
          const input = await this.input(tx, route, stored);
          await this.apply(tx, stored, decide(input), input);
        });
      }
      await this.publishPending();
    });
  }

  /** An admin action; a refusal is a 409 naming the reason. */
  manual(route: string, action: ManualAction): Promise<RolloutState> {
    const plan = this.plan(route);
    return this.serial(async () => {
      await this.db.transaction(async (tx) => {
        const stored = await this.store.get(tx, route, true);
        if (!stored) throw new DomainError('not_found', `no rollout for route "${route}"`);
        const input = await this.input(tx, route, stored);
        const result = applyManual(action, input);
        if (!result.ok) throw new DomainError('conflict', result.reason);
        if (action === 'start') {
          // every start counts afresh: evidence of an earlier (halted) candidate does not carry over
          stored.epoch += 1;
          stored.step_base = { control: 0, candidate: 0, candidate_votes: 0 };
          stored.plan_revision = planRevision(plan);
        }
        await this.apply(tx, stored, result.outcome, input);
      });
      // every start runs the regression set against the candidate; no advance before it finishes
      if (action === 'start') await this.gates.request(route, 'the rollout started');
      await this.publishPending();
      return this.stateOf(route);
    });
  }

  async state(route: string): Promise<RolloutState> {
    this.plan(route);
    return this.stateOf(route);
  }

  async list(): Promise<RolloutState[]> {
    return Promise.all(Object.keys(this.plans).map((route) => this.stateOf(route)));
  }

  /** Called after every committed decision (the served flags follow the state). */
  onChange(listener: () => void): void {
    this.changeListeners.push(listener);
  }

  /** Publishes the decisions not yet on the bus, oldest first. */
  async publishPending(): Promise<void> {
    if (this.changed) {
      this.changed = false;
      for (const listener of this.changeListeners) listener();
    }
    const pending = await this.store.unpublished(this.db);
    for (const d of pending) {
      const { id, route, epoch, ...decision } = d;
      const plan = this.plans[route];
      await this.bus.publish({
        type: 'dev.flywheel.rollout-decision.v1',
        key: route,
        id: `rollout-decision:${route}:${id}`,
        data: { ...decision, route, epoch, plan_revision: plan ? planRevision(plan) : 'unknown' },
      });
      await this.store.markPublished(this.db, id);
    }
  }

  private plan(route: string): RolloutPlanConfig {
    const plan = Object.hasOwn(this.plans, route) ? this.plans[route] : undefined;
    if (!plan)
      throw new DomainError('not_found', `no rollout plan for route "${route}" (flywheel.yaml rollouts)`);
    return plan;
  }

  private async input(tx: SqlExecutor, route: string, stored: StoredRollout): Promise<DecisionInput> {
    const plan = this.plan(route);
    const ev = await this.evidence.load(tx, route, stored.epoch, [plan.control, plan.candidate]);
    const candidate = ev[plan.candidate]!;
    const control = ev[plan.control]!;
    const split = await this.evidence.stepSplit(tx, route, stored.epoch, stored.position.step_index);
    return {
      plan,
      position: stored.position,
      now: this.clock.now(),
      totals: { candidate, control },
      step: {
        candidate: {
          interactions: candidate.interactions - stored.step_base.candidate,
          votes: votes(candidate) - stored.step_base.candidate_votes,
        },
        control: { interactions: control.interactions - stored.step_base.control },
      },
      split: {
        candidate: split.get(plan.candidate) ?? 0,
        control: split.get(plan.control) ?? 0,
      },
      gate: await this.gates.state(tx, route),
    };
  }

  private async apply(
    tx: SqlExecutor,
    stored: StoredRollout,
    outcome: Outcome,
    input: DecisionInput,
  ): Promise<void> {
    const { decision, position } = outcome;
    if (!decision) return;
    const now = new Date(this.clock.now());
    const stepChanged = position.step_index !== stored.position.step_index;
    if (stepChanged && decision.kind !== 'start') {
      stored.step_base = {
        control: input.totals.control.interactions,
        candidate: input.totals.candidate.interactions,
        candidate_votes: votes(input.totals.candidate),
      };
    }
    stored.position = position;
    this.changed = true;
    await this.store.save(tx, stored, now);
    await this.store.addDecision(tx, stored.route, stored.epoch, decision, now);
    this.metrics.decision(stored.route, decision.kind);
    this.metrics.percent(stored.route, decision.to_percent);
    this.logger.log(
      `${stored.route}: ${decision.kind} ${decision.from_percent} % → ${decision.to_percent} %: ${decision.reason}`,
    );
  }

  private async stateOf(route: string): Promise<RolloutState> {
    const plan = this.plan(route);
    const stored = await this.store.get(this.db, route);
    if (!stored) throw new DomainError('not_found', `no rollout for route "${route}"`);
    const ev = await this.evidence.load(this.db, route, stored.epoch, [plan.control, plan.candidate]);
    const intervals = assessGuardrails(plan, ev[plan.candidate]!, ev[plan.control]!);
    const variants: RolloutState['variants'] = {};
    for (const [name, e] of Object.entries(ev)) {
      const stats = variantStats(e);
      variants[name] = { ...stats };
      this.metrics.rates(route, name, stats);
    }
    return jsonSafe<RolloutState>({
      route,
      control: plan.control,
      candidate: plan.candidate,
      status: stored.position.status,
      ...(stored.position.reason !== undefined && { reason: stored.position.reason }),
      step_index: stored.position.step_index,
      percent: percentOf(plan, stored.position),
      steps: plan.steps,
      variants,
      intervals: intervals.map((i) => ({ ...i })),
      gate: { ...(await this.gates.state(this.db, route)) },
      decisions: await this.store.decisions(this.db, route),
    });
  }

  private async refreshMetrics(route: string): Promise<void> {
    const plan = this.plan(route);
    const stored = await this.store.get(this.db, route);
    if (stored) this.metrics.percent(route, percentOf(plan, stored.position));
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

interface VariantStats {
  interactions: number;
  votes_up: number;
  votes_down: number;
  dislike_rate: number | null;
  error_rate: number | null;
  latency_p95_ms: number | null;
  cost_per_interaction: number | null;
}

function variantStats(e: MutableEvidence): VariantStats {
  const n = votes(e);
  return {
    interactions: e.interactions,
    votes_up: e.votes_up,
    votes_down: e.votes_down,
    dislike_rate: n > 0 ? e.votes_down / n : null,
    error_rate: e.interactions > 0 ? e.errors / e.interactions : null,
    latency_p95_ms: e.latency.count > 0 ? e.latency.quantile(0.95) : null,
    cost_per_interaction: e.interactions > 0 ? e.cost_sum / e.interactions : null,
  };
}
