/**
 * Always-valid (time-uniform) intervals: the normal-mixture boundary of Robbins' mixture
 * SPRT, as used for A/B tests by Johari, Pekelis & Walsh, "Always Valid Inference: Continuous
 * Monitoring of A/B Tests" (Operations Research 2022), and in its confidence-sequence form by
 * Howard, Ramdas, McAuliffe & Sekhon, "Time-uniform, nonparametric, nonasymptotic confidence
 * sequences" (Annals of Statistics 2021, the two-sided normal mixture). An estimate `d̂` with
 * (estimated) variance `V` lies within `halfWidth(V)` of the truth at every look at once with
 * probability ≥ 1 − α, so the controller may look after every vote without inflating false halts.
 */

/**
 * Half-width of the two-sided normal-mixture confidence sequence for an estimate of variance
 * `variance`, mixing variance `tau2` (the effect size the test is tuned to, squared) and error
 * `alpha`: √( V(V+τ²)/τ² · (2·ln(1/α) + ln((V+τ²)/V)) ). Infinite when there is no evidence.
 */
export function mixtureHalfWidth(variance: number, tau2: number, alpha: number): number {
  if (!(variance > 0) || !Number.isFinite(variance)) return Number.POSITIVE_INFINITY;
  const total = variance + tau2;
  return Math.sqrt(((variance * total) / tau2) * (2 * Math.log(1 / alpha) + Math.log(total / variance)));
}

export interface Interval {
  estimate: number;
  lower: number;
  upper: number;
}

export interface RateCounts {
  /** trials (votes for the dislike rate, interactions for the error rate) */
  n: number;
  /** events (dislikes, errors) */
  x: number;
}

/** Mixing scale for differences of rates: tuned to detect a few rate points quickly. */
export const RATE_TAU = 0.05;

/**
 * Confidence sequence for p(candidate) − p(control). The variance uses Agresti–Caffo adjusted
 * rates ((x+1)/(n+2)) so that 0/n or n/n early on cannot claim zero variance.
 */
export function rateDifference(candidate: RateCounts, control: RateCounts, alpha: number): Interval {
  const rate = (c: RateCounts): number => (c.n > 0 ? c.x / c.n : 0);
  const adjusted = (c: RateCounts): number => (c.x + 1) / (c.n + 2);
  const estimate = rate(candidate) - rate(control);
  if (candidate.n === 0 || control.n === 0) return unbounded(estimate);
  const pc = adjusted(candidate);
  const p0 = adjusted(control);
  const variance = (pc * (1 - pc)) / candidate.n + (p0 * (1 - p0)) / control.n;
  const w = mixtureHalfWidth(variance, RATE_TAU * RATE_TAU, alpha);
  return { estimate, lower: estimate - w, upper: estimate + w };
}

export interface MeanCounts {
  n: number;
  sum: number;
  sumSquares: number;
}

/** Mixing scale for a mean, relative to the mean itself (a 20 % change). */
export const MEAN_RELATIVE_TAU = 0.2;

/** Confidence sequence for one arm's mean, from its count, sum and sum of squares. */
export function meanInterval(arm: MeanCounts, alpha: number): Interval {
  if (arm.n === 0) return unbounded(0);
  const mean = arm.sum / arm.n;
  // sample variance with one pseudo-observation at the mean's scale, so n = 1 is not "exact"
  const spread = Math.max(0, arm.sumSquares / arm.n - mean * mean);
  const variance = (spread * arm.n + mean * mean) / (arm.n + 1) / arm.n;
  const tau = Math.max(MEAN_RELATIVE_TAU * Math.abs(mean), Number.MIN_VALUE);
  const w = mixtureHalfWidth(variance, tau * tau, alpha);
  return { estimate: mean, lower: Math.max(0, mean - w), upper: mean + w };
}

/** Mixing scale, in probability units, for the rank of a quantile. */
export const QUANTILE_TAU = 0.05;

/**
 * Rank half-width of a confidence sequence for the q-quantile after n observations (the
 * rank-based construction of Howard & Ramdas, "Sequential estimation of quantiles with
 * applications to A/B-testing and best-arm identification", Bernoulli 2022, with the normal
 * mixture boundary): the true quantile lies between the empirical (q − u) and (q + u) quantiles.
 */
export function quantileRankHalfWidth(n: number, q: number, alpha: number): number {
  if (n === 0) return Number.POSITIVE_INFINITY;
  return mixtureHalfWidth((q * (1 - q)) / n, QUANTILE_TAU * QUANTILE_TAU, alpha);
}

/** An interval that knows nothing yet. */
export function unbounded(estimate: number): Interval {
  return { estimate, lower: Number.NEGATIVE_INFINITY, upper: Number.POSITIVE_INFINITY };
}
