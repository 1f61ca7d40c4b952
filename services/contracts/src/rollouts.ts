import { z } from 'zod';
import { Name, Timestamp } from './common';

/**
 * Guarded rollouts (DESIGN.md § Rollouts): the controller's state per route, its admin API
 * bodies and the decision event on `flywheel.rollouts.v1`.
 */

export const RolloutStatus = z.enum(['pending', 'running', 'paused', 'holding', 'halted', 'completed']);
export type RolloutStatus = z.infer<typeof RolloutStatus>;

export const RolloutDecisionKind = z.enum([
  'start',
  'advance',
  'hold',
  'halt',
  'complete',
  'pause',
  'resume',
  'rollback',
]);
export type RolloutDecisionKind = z.infer<typeof RolloutDecisionKind>;

/** An always-valid interval; infinite bounds are sent as null (JSON has no ∞). */
export const RolloutInterval = z.looseObject({
  metric: z.string(),
  kind: z.enum(['increase', 'ratio']),
  estimate: z.number().nullable(),
  lower: z.number().nullable(),
  upper: z.number().nullable(),
  limit: z.number(),
  alpha: z.number(),
  violated: z.boolean(),
});
export type RolloutInterval = z.infer<typeof RolloutInterval>;

export const RolloutDecision = z.looseObject({
  at: Timestamp,
  kind: RolloutDecisionKind,
  from_percent: z.number(),
  to_percent: z.number(),
  reason: z.string(),
  /** the guardrail intervals, the sample-ratio check and the gate the decision saw */
  evidence: z.record(z.string(), z.unknown()),
});
export type RolloutDecision = z.infer<typeof RolloutDecision>;

export const RolloutVariantStats = z.looseObject({
  interactions: z.number().int(),
  votes_up: z.number().int(),
  votes_down: z.number().int(),
  dislike_rate: z.number().nullable(),
  error_rate: z.number().nullable(),
  latency_p95_ms: z.number().nullable(),
  cost_per_interaction: z.number().nullable(),
});

export const RolloutGate = z.looseObject({
  status: z.enum(['none', 'pending', 'passed', 'failed']),
  run_id: z.string().optional(),
  pass_rate: z.number().optional(),
  /** why the gate is in this state, e.g. "no accepted regression cases yet" */
  note: z.string().optional(),
  /** accepted cases in the last run (0: none yet, the gate passes) */
  cases: z.number().int().nonnegative().optional(),
  min_pass_rate: z.number().min(0).max(1).optional(),
  /** when the last run finished */
  finished_at: z.string().optional(),
});

export const RolloutState = z.looseObject({
  route: Name,
  control: Name,
  candidate: Name,
  status: RolloutStatus,
  reason: z.string().optional(),
  step_index: z.number().int(),
  percent: z.number(),
  steps: z.array(z.number()),
  variants: z.record(z.string(), RolloutVariantStats),
  /** candidate vs control, one per configured guardrail */
  intervals: z.array(RolloutInterval),
  gate: RolloutGate,
  /** newest first */
  decisions: z.array(RolloutDecision),
});
export type RolloutState = z.infer<typeof RolloutState>;

export const RolloutList = z.looseObject({ rollouts: z.array(RolloutState) });
export type RolloutList = z.infer<typeof RolloutList>;

/** `dev.flywheel.rollout-decision.v1` data: one decision, its route and the plan revision. */
export const RolloutDecisionEvent = RolloutDecision.extend({
  route: Name,
  /** sha256 of the plan as configured, so consumers can tell decisions of different plans apart */
  plan_revision: z.string().max(128),
  /** the rollout's start count: evidence is counted afresh on every start */
  epoch: z.number().int().nonnegative(),
});
export type RolloutDecisionEvent = z.infer<typeof RolloutDecisionEvent>;

/** The admin actions of `POST /v1/rollouts/{route}/{action}`. */
export const RolloutAction = z.enum(['start', 'pause', 'resume', 'advance', 'rollback']);
export type RolloutAction = z.infer<typeof RolloutAction>;
