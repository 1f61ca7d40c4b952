import type { RolloutPlanConfig } from '@flywheel/platform/config';
import { type Interval, meanInterval, quantileRankHalfWidth, rateDifference } from './sequential';

/** What a quantile sketch must answer (a DDSketch in the controller; anything in tests). */
export interface QuantileView {
  readonly count: number;
  quantile(q: number): number;
}

/** The counts the controller keeps per route and variant, and decides on. */
export interface VariantEvidence {
  interactions: number;
  votes_up: number;
  votes_down: number;
  /** interactions that ended in an error, a broken stream or invalid structured output */
  errors: number;
  cost_sum: number;
  cost_sum_squares: number;
  latency: QuantileView;
}

export type GuardrailMetric = 'dislike_rate' | 'error_rate' | 'latency_p95_ms' | 'cost_per_interaction';

export interface GuardrailResult extends Interval {
  metric: GuardrailMetric;
  /** `increase`: candidate − control in rate points; `ratio`: candidate / control */
  kind: 'increase' | 'ratio';
  /** the plan's allowed degradation */
  limit: number;
  /** the error spent on this metric's confidence sequence */
  alpha: number;
  /** the whole interval is beyond the limit: credibly worse than the plan allows */
  violated: boolean;
}

export type GuardrailsPlan = Pick<RolloutPlanConfig, 'guardrails' | 'alpha'>;

const P95 = 0.95;

/**
 * Every configured guardrail of the plan, candidate vs control, each as an always-valid
 * interval. The plan's α is split evenly over the guardrails (Bonferroni), so the chance
 * that any of them ever halts a candidate that is within every limit is at most α.
 */
export function assessGuardrails(
  plan: GuardrailsPlan,
  candidate: VariantEvidence,
  control: VariantEvidence,
): GuardrailResult[] {
  const g = plan.guardrails;
  const configured = Object.values(g).filter((v) => v !== undefined).length;
  const alpha = plan.alpha / Math.max(1, configured);
  const results: GuardrailResult[] = [];
  if (g.dislike_rate) {
    const i = rateDifference(
      { n: votes(candidate), x: candidate.votes_down },
      { n: votes(control), x: control.votes_down },
      alpha,
    );
    results.push(increase('dislike_rate', i, g.dislike_rate.max_increase, alpha));
  }
  if (g.error_rate) {
    const i = rateDifference(
      { n: candidate.interactions, x: candidate.errors },
      { n: control.interactions, x: control.errors },
      alpha,
    );
    results.push(increase('error_rate', i, g.error_rate.max_increase, alpha));
  }
  if (g.latency_p95_ms) {
    const i = ratio(quantileBounds(candidate.latency, alpha / 2), quantileBounds(control.latency, alpha / 2));
    results.push(ratioResult('latency_p95_ms', i, g.latency_p95_ms.max_ratio, alpha));
  }
  if (g.cost_per_interaction) {
    const arm = (v: VariantEvidence) => ({
      n: v.interactions,
      sum: v.cost_sum,
      sumSquares: v.cost_sum_squares,
    });
    const i = ratio(meanInterval(arm(candidate), alpha / 2), meanInterval(arm(control), alpha / 2));
    results.push(ratioResult('cost_per_interaction', i, g.cost_per_interaction.max_ratio, alpha));
  }
  return results;
}

export function votes(v: Pick<VariantEvidence, 'votes_up' | 'votes_down'>): number {
  return v.votes_up + v.votes_down;
}

/** "dislike_rate: candidate − control = +0.093, always-valid 95 % interval [+0.031, +0.155], allowed +0.020" */
export function describeGuardrail(r: GuardrailResult): string {
  const level = `${fmt((1 - r.alpha) * 100, 2)} %`;
  if (r.kind === 'increase') {
    return (
      `${r.metric}: candidate − control = ${signed(r.estimate)}, always-valid ${level} interval ` +
      `[${signed(r.lower)}, ${signed(r.upper)}], allowed ${signed(r.limit)}`
    );
  }
  return (
    `${r.metric}: candidate / control = ${fmt(r.estimate, 3)}, always-valid ${level} interval ` +
    `[${fmt(r.lower, 3)}, ${fmt(r.upper, 3)}], allowed ${fmt(r.limit, 3)}`
  );
}

function increase(metric: GuardrailMetric, i: Interval, limit: number, alpha: number): GuardrailResult {
  return { metric, kind: 'increase', ...i, limit, alpha, violated: i.lower > limit };
}

function ratioResult(metric: GuardrailMetric, i: Interval, limit: number, alpha: number): GuardrailResult {
  return { metric, kind: 'ratio', ...i, limit, alpha, violated: i.lower > limit };
}

/** Bounds of the p95 from the sketch: the empirical (q ∓ u) quantiles, u the rank half-width. */
function quantileBounds(sketch: QuantileView, alpha: number): Interval {
  const estimate = sketch.count > 0 ? sketch.quantile(P95) : Number.NaN;
  const u = quantileRankHalfWidth(sketch.count, P95, alpha);
  const lower = sketch.count > 0 && P95 - u > 0 ? sketch.quantile(P95 - u) : 0;
  const upper = sketch.count > 0 && P95 + u < 1 ? sketch.quantile(P95 + u) : Number.POSITIVE_INFINITY;
  return { estimate, lower, upper };
}

/** Candidate / control from each arm's own interval (each at α/2, so both hold at α). */
function ratio(candidate: Interval, control: Interval): Interval {
  const div = (a: number, b: number): number =>
    b > 0 ? a / b : a > 0 ? Number.POSITIVE_INFINITY : Number.NaN;
  const estimate = div(candidate.estimate, control.estimate);
  const lower = Number.isFinite(control.upper) ? div(candidate.lower, control.upper) : 0;
  const upper = div(candidate.upper, control.lower);
  return {
    estimate,
    lower: Number.isNaN(lower) ? 0 : lower,
    upper: Number.isNaN(upper) ? Number.POSITIVE_INFINITY : upper,
  };
}

function fmt(n: number, digits: number): string {
  if (!Number.isFinite(n)) return n > 0 ? '∞' : n < 0 ? '−∞' : 'n/a';
  return n.toFixed(digits);
}

function signed(n: number): string {
  if (!Number.isFinite(n)) return n > 0 ? '+∞' : n < 0 ? '−∞' : 'n/a';
  return `${n >= 0 ? '+' : '−'}${Math.abs(n).toFixed(3)}`;
}
