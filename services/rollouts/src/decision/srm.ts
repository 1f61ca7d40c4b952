/**
 * Sequential sample-ratio-mismatch check: is the share of interactions on the candidate the
 * one the flag should give? A beta-binomial mixture likelihood ratio against the expected share
 * p (a test martingale under "the split is right"; Lindon & Malek, "Anytime-Valid Inference for
 * Multinomial Count Data", NeurIPS 2022, two-arm case), rejected when it reaches 1/α — valid
 * however often it is looked at. α is strict (default 0.001): a mismatch means broken
 * assignment or logging, not a bad candidate, so the rollout holds rather than halts.
 */

export const SRM_ALPHA = 0.001;
/** prior concentration of the mixture: Beta(k·p, k·(1−p)) around the expected share */
const SRM_CONCENTRATION = 100;

export interface SrmResult {
  expected_share: number;
  observed_share: number;
  /** natural log of the mixture likelihood ratio (evidence against the expected split) */
  log_evidence: number;
  mismatch: boolean;
}

export function sampleRatioMismatch(
  candidate: number,
  total: number,
  expectedShare: number,
  alpha = SRM_ALPHA,
): SrmResult {
  const observed = total > 0 ? candidate / total : 0;
  if (total === 0 || expectedShare <= 0 || expectedShare >= 1) {
    // at 0 % or 100 % any candidate (resp. control) traffic is a mismatch
    const stray = expectedShare <= 0 ? candidate : total - candidate;
    const log = stray > 0 && total >= 10 ? Number.POSITIVE_INFINITY : 0;
    return {
      expected_share: expectedShare,
      observed_share: observed,
      log_evidence: log,
      mismatch: log > Math.log(1 / alpha),
    };
  }
  const a = SRM_CONCENTRATION * expectedShare;
  const b = SRM_CONCENTRATION * (1 - expectedShare);
  const rest = total - candidate;
  const logMixture = logBeta(a + candidate, b + rest) - logBeta(a, b);
  const logNull = candidate * Math.log(expectedShare) + rest * Math.log(1 - expectedShare);
  const logEvidence = logMixture - logNull;
  return {
    expected_share: expectedShare,
    observed_share: observed,
    log_evidence: logEvidence,
    mismatch: logEvidence >= Math.log(1 / alpha),
  };
}

function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

/** ln Γ(x) for x > 0 (Lanczos approximation, g = 7, n = 9; ~15 significant digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
