import { RolloutPlanConfig } from '@flywheel/platform/config';
import { seededRandom } from '../simulation/rollout-sim';
import { addInteraction, emptyEvidence, type MutableEvidence } from './evidence';
import { describeGuardrail } from './guardrails';
import { applyManual, decide, type DecisionInput, percentOf, type RolloutPosition } from './state-machine';

const plan = RolloutPlanConfig.parse({
  control: 'control',
  candidate: 'candidate',
  steps: [5, 25, 100],
  min_per_step: { interactions: 100, votes: 20, seconds: 60 },
  guardrails: {
    dislike_rate: { max_increase: 0.02 },
    error_rate: { max_increase: 0.01 },
    latency_p95_ms: { max_ratio: 1.25 },
    cost_per_interaction: { max_ratio: 1.5 },
  },
  alpha: 0.05,
});

interface Arm {
  interactions: number;
  dislike: number;
  votes: number;
  errorRate?: number;
  latencyMs?: number;
  cost?: number;
}

/** Evidence with the given counts; latencies log-normal-ish around `latencyMs`. */
function arm(a: Arm, seed: number): MutableEvidence {
  const e = emptyEvidence();
  const random = seededRandom(seed);
  for (let i = 0; i < a.interactions; i++) {
    addInteraction(e, {
      error: random() < (a.errorRate ?? 0.01),
      latency_ms: (a.latencyMs ?? 500) * (0.5 + random()),
      cost_usd: (a.cost ?? 0.001) * (0.5 + random()),
    });
  }
  e.votes_down = Math.round(a.votes * a.dislike);
  e.votes_up = a.votes - e.votes_down;
  return e;
}

const running: RolloutPosition = { status: 'running', step_index: 0, step_started_at: 0 };

function input(over: Partial<DecisionInput> & { candidate?: Arm; control?: Arm }): DecisionInput {
  const candidate = arm(over.candidate ?? { interactions: 500, dislike: 0.1, votes: 100 }, 1);
  const control = arm(over.control ?? { interactions: 9_500, dislike: 0.1, votes: 1_900 }, 2);
  return {
    plan,
    position: over.position ?? running,
    now: over.now ?? 120_000,
    totals: { candidate, control },
    step: over.step ?? {
      candidate: { interactions: candidate.interactions, votes: candidate.votes_up + candidate.votes_down },
      control: { interactions: control.interactions },
    },
    gate: over.gate ?? { status: 'none' },
  };
}

describe('decide', () => {
  it('halts a candidate whose dislike rate is double, naming metric, estimate and interval', () => {
    const { position, decision } = decide(
      input({ candidate: { interactions: 2_000, dislike: 0.2, votes: 400 } }),
    );
    expect(position.status).toBe('halted');
    expect(percentOf(plan, position)).toBe(0);
    expect(decision).toMatchObject({ kind: 'halt', from_percent: 5, to_percent: 0 });
    expect(decision?.reason).toMatch(
      /^halted: dislike_rate: candidate − control = \+0\.100, always-valid .* interval \[\+0\.0\d\d, \+0\.1\d\d\], allowed \+0\.020$/,
    );
    expect(decision?.evidence.guardrails.find((g) => g.metric === 'dislike_rate')?.violated).toBe(true);
  });

  it('halts on error rate, p95 latency and cost per interaction', () => {
    const errors = decide(
      input({ candidate: { interactions: 3_000, dislike: 0.1, votes: 100, errorRate: 0.08 } }),
    );
    expect(errors.decision?.reason).toContain('error_rate');
    const slow = decide(
      input({ candidate: { interactions: 3_000, dislike: 0.1, votes: 100, latencyMs: 1_000 } }),
    );
    expect(slow.decision?.reason).toContain('latency_p95_ms: candidate / control = ');
    expect(
      slow.decision?.evidence.guardrails.find((g) => g.metric === 'latency_p95_ms')?.estimate,
    ).toBeCloseTo(2, 0);
    const dear = decide(input({ candidate: { interactions: 3_000, dislike: 0.1, votes: 100, cost: 0.003 } }));
    expect(dear.decision?.reason).toContain('cost_per_interaction');
  });

  it('does not halt on little evidence even when it looks bad', () => {
    const { position } = decide(
      input({
        candidate: { interactions: 30, dislike: 0.4, votes: 10 },
        control: { interactions: 570, dislike: 0.1, votes: 200 },
      }),
    );
    expect(position.status).toBe('running');
  });

  it('advances when the step has its evidence and time, and not before', () => {
    const early = decide(input({ now: 30_000 }));
    expect(early.decision).toBeNull();
    const few = decide(
      input({ step: { candidate: { interactions: 100, votes: 19 }, control: { interactions: 1_900 } } }),
    );
    expect(few.decision).toBeNull();
    const { position, decision } = decide(input({}));
    expect(decision).toMatchObject({ kind: 'advance', from_percent: 5, to_percent: 25 });
    expect(decision?.reason).toContain('no regression cases yet');
    expect(position).toEqual({ status: 'running', step_index: 1, step_started_at: 120_000 });
  });

  it('completes at the last step', () => {
    const last: RolloutPosition = { status: 'running', step_index: 2, step_started_at: 0 };
    const { position, decision } = decide(
      input({
        position: last,
        step: { candidate: { interactions: 200, votes: 40 }, control: { interactions: 0 } },
      }),
    );
    expect(decision?.kind).toBe('complete');
    expect(position.status).toBe('completed');
    expect(percentOf(plan, position)).toBe(100);
  });

  it('holds on a sample-ratio mismatch, once, and resumes when the split is right again', () => {
    const skewed = { candidate: { interactions: 1_500, votes: 300 }, control: { interactions: 8_500 } };
    const held = decide(input({ step: skewed }));
    expect(held.position.status).toBe('holding');
    expect(held.decision?.kind).toBe('hold');
    expect(held.decision?.reason).toMatch(
      /sample-ratio mismatch — candidate got 15\.00 % .* flag gives 5\.00 %/,
    );
    expect(decide(input({ step: skewed, position: held.position })).decision).toBeNull();
    const fixed = decide(input({ position: held.position }));
    expect(fixed.decision?.kind).toBe('resume');
    expect(fixed.position.status).toBe('running');
  });

  it('holds while the regression gate fails, with the run as the reason, and never advances', () => {
    const gate = { status: 'failed' as const, run_id: 'run_1', pass_rate: 0.5 };
    const { position, decision } = decide(input({ gate }));
    expect(position).toMatchObject({ status: 'holding', step_index: 0, hold_cause: 'gate' });
    expect(decision?.reason).toBe(
      "holding: regression gate run run_1 passed 50.0 % of the route's accepted cases, needs 90.0 %",
    );
    const refused = applyManual('advance', input({ gate, position }));
    expect(refused).toEqual({ ok: false, reason: decision?.reason });
    expect(decide(input({ gate, position })).decision).toBeNull();
    const rerun = decide(input({ gate: { ...gate, run_id: 'run_3', pass_rate: 0.6 }, position }));
    expect(rerun.decision).toMatchObject({
      kind: 'hold',
      reason: expect.stringContaining('run run_3 passed 60.0 %'),
    });
    const passed = decide(input({ position, gate: { status: 'passed', run_id: 'run_2', pass_rate: 1 } }));
    expect(passed.decision?.kind).toBe('resume');
  });

  it('waits while a gate run is pending', () => {
    expect(decide(input({ gate: { status: 'pending' } })).decision).toBeNull();
  });

  it('still halts a paused rollout, but does not advance it', () => {
    const paused: RolloutPosition = { ...running, status: 'paused' };
    expect(decide(input({ position: paused })).decision).toBeNull();
    const bad = decide(
      input({ position: paused, candidate: { interactions: 2_000, dislike: 0.3, votes: 400 } }),
    );
    expect(bad.position.status).toBe('halted');
  });

  it('does nothing for pending, halted and completed rollouts', () => {
    for (const status of ['pending', 'halted', 'completed'] as const) {
      expect(decide(input({ position: { ...running, status } })).decision).toBeNull();
    }
  });
});

describe('applyManual', () => {
  it('starts, pauses, resumes and rolls back', () => {
    const pending: RolloutPosition = { status: 'pending', step_index: 0, step_started_at: 0 };
    const started = applyManual('start', input({ position: pending, now: 5 }));
    expect(started.ok && started.outcome.position).toEqual({
      status: 'running',
      step_index: 0,
      step_started_at: 5,
    });
    expect(applyManual('resume', input({})).ok).toBe(false);
    const paused = applyManual('pause', input({}));
    expect(paused.ok && paused.outcome.position.status).toBe('paused');
    const back = applyManual('rollback', input({}));
    expect(back.ok && back.outcome.decision).toMatchObject({
      kind: 'rollback',
      from_percent: 5,
      to_percent: 0,
    });
    expect(applyManual('rollback', input({ position: pending })).ok).toBe(false);
  });

  it('refuses to advance past a violated guardrail, naming it', () => {
    const r = applyManual(
      'advance',
      input({ candidate: { interactions: 2_000, dislike: 0.25, votes: 400 } }),
    );
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toContain('dislike_rate');
  });

  it('advances on request without waiting for the step minimum', () => {
    const r = applyManual('advance', input({ now: 1 }));
    expect(r.ok && r.outcome.decision).toMatchObject({ kind: 'advance', from_percent: 5, to_percent: 25 });
  });
});

describe('describeGuardrail', () => {
  it('prints infinite bounds readably', () => {
    const text = describeGuardrail({
      metric: 'latency_p95_ms',
      kind: 'ratio',
      estimate: 1.1,
      lower: 0,
      upper: Infinity,
      limit: 1.25,
      alpha: 0.0125,
      violated: false,
    });
    expect(text).toBe(
      'latency_p95_ms: candidate / control = 1.100, always-valid 98.75 % interval [0.000, ∞], allowed 1.250',
    );
  });
});
