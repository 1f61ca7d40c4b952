import type { RolloutPlanConfig } from '@flywheel/platform/config';
import {
  assessGuardrails,
  describeGuardrail,
  type GuardrailResult,
  type VariantEvidence,
} from './guardrails';
import { sampleRatioMismatch, type SrmResult } from './srm';

export type RolloutStatus = 'pending' | 'running' | 'paused' | 'holding' | 'halted' | 'completed';
export type DecisionKind =
  'start' | 'advance' | 'hold' | 'halt' | 'complete' | 'pause' | 'resume' | 'rollback';

/** The regression gate as the decision code sees it. `none`: the route has no accepted cases. */
export interface GateView {
  status: 'none' | 'pending' | 'passed' | 'failed';
  run_id?: string;
  pass_rate?: number;
}

/** Where a rollout stands; persisted by the controller. */
export interface RolloutPosition {
  status: RolloutStatus;
  step_index: number;
  /** epoch ms the current step began (or the rollout was started) */
  step_started_at: number;
  reason?: string;
  /** why it holds: the hold is lifted when this cause clears */
  hold_cause?: 'srm' | 'gate';
}

/** Evidence gathered since the current step began. */
export interface StepEvidence {
  candidate: { interactions: number; votes: number };
  control: { interactions: number };
}

export interface DecisionInput {
  plan: RolloutPlanConfig;
  position: RolloutPosition;
  /** epoch ms */
  now: number;
  /** cumulative evidence since the rollout was started */
  totals: { candidate: VariantEvidence; control: VariantEvidence };
  step: StepEvidence;
  /**
   * interactions per variant for the split check: those that started once the step's flag had
   * settled (default: the step's interactions)
   */
  split?: { candidate: number; control: number };
  gate: GateView;
}

export interface DecisionEvidence {
  guardrails: GuardrailResult[];
  srm?: SrmResult;
  gate: GateView;
  step?: StepEvidence;
}

export interface Decision {
  kind: DecisionKind;
  from_percent: number;
  to_percent: number;
  reason: string;
  evidence: DecisionEvidence;
}

export interface Outcome {
  position: RolloutPosition;
  /** null when nothing changed (e.g. still gathering evidence) */
  decision: Decision | null;
}

/** The candidate's share of targeting keys in this position: 0 unless started and not halted. */
export function percentOf(
  plan: Pick<RolloutPlanConfig, 'steps'>,
  position: Pick<RolloutPosition, 'status' | 'step_index'>,
): number {
  if (position.status === 'pending' || position.status === 'halted') return 0;
  if (position.status === 'completed') return 100;
  return plan.steps[position.step_index] ?? 0;
}

/**
 * The automatic decision on fresh evidence (every batch and every timer tick):
 * 1. halt when any guardrail is credibly violated (also while paused or holding);
 * 2. hold on a sample-ratio mismatch of this step, or a failing regression gate;
 * 3. lift a hold whose cause has cleared;
 * 4. advance (or complete at the last step) once the step's evidence and time are met.
 */
export function decide(input: DecisionInput): Outcome {
  const { plan, position, now } = input;
  if (position.status === 'pending' || position.status === 'halted' || position.status === 'completed') {
    return { position, decision: null };
  }
  const from = percentOf(plan, position);
  const guardrails = assessGuardrails(plan, input.totals.candidate, input.totals.control);
  const evidence: DecisionEvidence = { guardrails, gate: input.gate, step: input.step };
  const violated = guardrails.find((g) => g.violated);
  if (violated) {
    const reason = `halted: ${describeGuardrail(violated)}`;
    return {
      position: { ...position, status: 'halted', reason, hold_cause: undefined },
      decision: { kind: 'halt', from_percent: from, to_percent: 0, reason, evidence },
    };
  }
  if (position.status === 'paused') return { position, decision: null };

  const split = input.split ?? {
    candidate: input.step.candidate.interactions,
    control: input.step.control.interactions,
  };
  const srm = sampleRatioMismatch(split.candidate, split.candidate + split.control, from / 100);
  evidence.srm = srm;
  const hold = holdCause(srm, input.gate, plan);
  if (hold) {
    // a gate hold is logged again when a new failing run replaces the one it names
    const same = hold.cause !== 'gate' || position.reason === hold.reason;
    if (position.status === 'holding' && position.hold_cause === hold.cause && same)
      return { position, decision: null };
    return {
      position: { ...position, status: 'holding', reason: hold.reason, hold_cause: hold.cause },
      decision: { kind: 'hold', from_percent: from, to_percent: from, reason: hold.reason, evidence },
    };
  }
  if (position.status === 'holding') {
    const reason = `resumed: the ${position.hold_cause === 'gate' ? 'regression gate passes' : 'split matches the flag'} again`;
    return {
      position: { ...position, status: 'running', reason: undefined, hold_cause: undefined },
      decision: { kind: 'resume', from_percent: from, to_percent: from, reason, evidence },
    };
  }
  if (input.gate.status === 'pending') return { position, decision: null };
  const missing = missingEvidence(input);
  if (missing) return { position, decision: null };
  return { position: nextStep(plan, position, now), decision: stepDecision(plan, position, from, evidence) };
}

/** What the current step still needs before it may advance, or null when it has it all. */
export function missingEvidence(
  input: Pick<DecisionInput, 'plan' | 'position' | 'now' | 'step'>,
): string | null {
  const min = input.plan.min_per_step;
  const needs: string[] = [];
  const c = input.step.candidate;
  if (c.interactions < min.interactions)
    needs.push(`${min.interactions - c.interactions} more candidate interactions`);
  if (c.votes < min.votes) needs.push(`${min.votes - c.votes} more candidate votes`);
  const waited = (input.now - input.position.step_started_at) / 1000;
  if (waited < min.seconds) needs.push(`${Math.ceil(min.seconds - waited)} more seconds`);
  return needs.length ? `step needs ${needs.join(', ')}` : null;
}

function holdCause(
  srm: SrmResult,
  gate: GateView,
  plan: RolloutPlanConfig,
): { cause: 'srm' | 'gate'; reason: string } | null {
  if (srm.mismatch) {
    return {
      cause: 'srm',
      reason:
        `holding: sample-ratio mismatch — candidate got ${(srm.observed_share * 100).toFixed(2)} % of this step's ` +
        `interactions, the flag gives ${(srm.expected_share * 100).toFixed(2)} % (sequential test, log-evidence ` +
        `${srm.log_evidence.toFixed(1)})`,
    };
  }
  if (gate.status === 'failed') {
    const rate = gate.pass_rate === undefined ? 'n/a' : `${(gate.pass_rate * 100).toFixed(1)} %`;
    return {
      cause: 'gate',
      reason:
        `holding: regression gate run ${gate.run_id ?? '?'} passed ${rate} of the route's accepted cases, ` +
        `needs ${(plan.gate.min_pass_rate * 100).toFixed(1)} %`,
    };
  }
  return null;
}

function nextStep(plan: RolloutPlanConfig, position: RolloutPosition, now: number): RolloutPosition {
  const last = position.step_index >= plan.steps.length - 1;
  if (last)
    return {
      status: 'completed',
      step_index: position.step_index,
      step_started_at: position.step_started_at,
    };
  return { status: 'running', step_index: position.step_index + 1, step_started_at: now };
}

function stepDecision(
  plan: RolloutPlanConfig,
  position: RolloutPosition,
  from: number,
  evidence: DecisionEvidence,
): Decision {
  const last = position.step_index >= plan.steps.length - 1;
  const to = last ? 100 : (plan.steps[position.step_index + 1] ?? 100);
  const gate = evidence.gate.status === 'none' ? 'no regression cases yet' : `gate ${evidence.gate.status}`;
  const reason = last
    ? `completed: ${from} % met its evidence, no guardrail violated, ${gate}`
    : `advanced ${from} % → ${to} %: step evidence met, no guardrail violated, ${gate}`;
  return { kind: last ? 'complete' : 'advance', from_percent: from, to_percent: to, reason, evidence };
}

export type ManualAction = 'start' | 'pause' | 'resume' | 'advance' | 'rollback';

export type ManualResult = { ok: true; outcome: Outcome } | { ok: false; reason: string };

/**
 * An admin's action. `advance` still refuses when a guardrail is violated or the gate fails;
 * `rollback` halts (candidate to 0 %) from any started state; `start` (re)starts at the first step.
 */
export function applyManual(action: ManualAction, input: DecisionInput): ManualResult {
  const { plan, position, now } = input;
  const from = percentOf(plan, position);
  const guardrails = assessGuardrails(plan, input.totals.candidate, input.totals.control);
  const evidence: DecisionEvidence = { guardrails, gate: input.gate };
  const change = (kind: DecisionKind, next: RolloutPosition, reason: string): ManualResult => ({
    ok: true,
    outcome: {
      position: next,
      decision: { kind, from_percent: from, to_percent: percentOf(plan, next), reason, evidence },
    },
  });
  const s = position.status;
  switch (action) {
    case 'start':
      if (s !== 'pending' && s !== 'halted' && s !== 'completed')
        return { ok: false, reason: `rollout is already ${s}` };
      return change(
        'start',
        { status: 'running', step_index: 0, step_started_at: now },
        'started by an admin',
      );
    case 'pause':
      if (s !== 'running' && s !== 'holding')
        return { ok: false, reason: `cannot pause a rollout that is ${s}` };
      return change(
        'pause',
        { ...position, status: 'paused', reason: 'paused by an admin', hold_cause: undefined },
        'paused by an admin',
      );
    case 'resume':
      if (s !== 'paused') return { ok: false, reason: `cannot resume a rollout that is ${s}` };
      return change('resume', { ...position, status: 'running', reason: undefined }, 'resumed by an admin');
    case 'rollback':
      if (s === 'pending' || s === 'halted')
        return { ok: false, reason: `rollout is ${s}: the candidate already gets 0 %` };
      return change(
        'rollback',
        { ...position, status: 'halted', reason: 'rolled back by an admin', hold_cause: undefined },
        'rolled back by an admin',
      );
    case 'advance': {
      if (s !== 'running' && s !== 'holding' && s !== 'paused')
        return { ok: false, reason: `cannot advance a rollout that is ${s}` };
      const violated = guardrails.find((g) => g.violated);
      if (violated) return { ok: false, reason: `guardrail violated: ${describeGuardrail(violated)}` };
      if (input.gate.status === 'failed') {
        return {
          ok: false,
          reason: holdCause(sampleRatioMismatch(0, 0, 0.5), input.gate, plan)?.reason ?? 'gate failed',
        };
      }
      const next = nextStep(plan, position, now);
      const decision = stepDecision(plan, position, from, evidence);
      return {
        ok: true,
        outcome: {
          position: next,
          decision: { ...decision, reason: `${decision.reason} (advanced by an admin)` },
        },
      };
    }
  }
}
