import type { RolloutPlanConfig } from '@flywheel/platform/config';
import { addInteraction, emptyEvidence } from '../decision/evidence';
import { decide, percentOf, type RolloutPosition } from '../decision/state-machine';

/**
 * A simulated rollout driven by the controller's real decision code: interactions arrive at a
 * fixed rate, each goes to the candidate with the flag's current share, some get a vote, and
 * the decision runs after every batch — as the controller does on every Kafka batch.
 */
export interface ArmTruth {
  dislike_rate: number;
  error_rate: number;
  /** median latency; latencies are log-normal with σ = 0.5 */
  latency_median_ms: number;
  cost_mean_usd: number;
}

export interface SimScenario {
  plan: RolloutPlanConfig;
  control: ArmTruth;
  candidate: ArmTruth;
  interactions_per_second: number;
  /** share of interactions that get a vote */
  vote_share: number;
  /** interactions between two decisions */
  batch: number;
  /** give up after this many interactions */
  max_interactions: number;
}

export interface SimResult {
  final: 'halted' | 'completed' | 'unfinished';
  halted_metric?: string;
  /** votes on the candidate when the rollout halted or completed */
  candidate_votes: number;
  interactions: number;
  holds: number;
}

/** mulberry32: a small seeded PRNG, so a run can be reproduced from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(random: () => number): number {
  const u = Math.max(random(), Number.MIN_VALUE);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

export function simulateRollout(s: SimScenario, random: () => number): SimResult {
  const totals = { candidate: emptyEvidence(), control: emptyEvidence() };
  const step = { candidate: { interactions: 0, votes: 0 }, control: { interactions: 0 } };
  let position: RolloutPosition = { status: 'running', step_index: 0, step_started_at: 0 };
  let holds = 0;
  for (let i = 1; i <= s.max_interactions; i++) {
    const onCandidate = random() * 100 < percentOf(s.plan, position);
    const truth = onCandidate ? s.candidate : s.control;
    const arm = onCandidate ? totals.candidate : totals.control;
    addInteraction(arm, {
      error: random() < truth.error_rate,
      latency_ms: truth.latency_median_ms * Math.exp(0.5 * normal(random)),
      cost_usd: truth.cost_mean_usd * (0.5 + random()),
    });
    if (onCandidate) step.candidate.interactions += 1;
    else step.control.interactions += 1;
    if (random() < s.vote_share) {
      if (random() < truth.dislike_rate) arm.votes_down += 1;
      else arm.votes_up += 1;
      if (onCandidate) step.candidate.votes += 1;
    }
    if (i % s.batch !== 0) continue;
    const now = (i / s.interactions_per_second) * 1000;
    const { position: next, decision } = decide({
      plan: s.plan,
      position,
      now,
      totals,
      step,
      gate: { status: 'none' },
    });
    position = next;
    if (!decision) continue;
    if (decision.kind === 'hold') holds += 1;
    const candidateVotes = totals.candidate.votes_up + totals.candidate.votes_down;
    if (decision.kind === 'halt') {
      const metric = decision.evidence.guardrails.find((g) => g.violated)?.metric;
      return {
        final: 'halted',
        halted_metric: metric,
        candidate_votes: candidateVotes,
        interactions: i,
        holds,
      };
    }
    if (decision.kind === 'complete')
      return { final: 'completed', candidate_votes: candidateVotes, interactions: i, holds };
    if (decision.kind === 'advance') {
      step.candidate = { interactions: 0, votes: 0 };
      step.control = { interactions: 0 };
    }
  }
  const candidateVotes = totals.candidate.votes_up + totals.candidate.votes_down;
  return { final: 'unfinished', candidate_votes: candidateVotes, interactions: s.max_interactions, holds };
}
