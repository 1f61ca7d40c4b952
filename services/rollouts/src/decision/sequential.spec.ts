import { seededRandom } from '../simulation/rollout-sim';
import { meanInterval, mixtureHalfWidth, quantileRankHalfWidth, rateDifference } from './sequential';
import { logGamma, sampleRatioMismatch } from './srm';

describe('always-valid intervals', () => {
  it('are infinite without evidence and shrink as evidence grows', () => {
    expect(mixtureHalfWidth(0, 0.0025, 0.05)).toBe(Infinity);
    const widths = [100, 1_000, 10_000].map((n) => {
      const i = rateDifference({ n, x: n / 10 }, { n, x: n / 10 }, 0.05);
      return i.upper - i.lower;
    });
    expect(widths[0]).toBeGreaterThan(widths[1]!);
    expect(widths[1]).toBeGreaterThan(widths[2]!);
    expect(rateDifference({ n: 0, x: 0 }, { n: 10, x: 1 }, 0.05).lower).toBe(-Infinity);
  });

  it('are wider than the fixed-sample 95 % interval (the price of looking at every vote)', () => {
    const n = 2_000;
    const i = rateDifference({ n, x: 200 }, { n, x: 200 }, 0.05);
    const fixed = 1.96 * Math.sqrt((2 * 0.1 * 0.9) / n);
    expect((i.upper - i.lower) / 2).toBeGreaterThan(fixed);
  });

  it('do not treat 0 dislikes out of a few votes as certainty', () => {
    const i = rateDifference({ n: 5, x: 0 }, { n: 5, x: 5 }, 0.05);
    expect(i.estimate).toBe(-1);
    expect(i.upper).toBeGreaterThan(0);
  });

  it('keep the false-crossing rate under α when looked at after every observation', () => {
    // 200 A/A streams of 3,000 votes per arm, dislike rate 10 %, checked after each pair of votes
    const alpha = 0.05;
    let crossed = 0;
    const runs = 200;
    for (let r = 0; r < runs; r++) {
      const random = seededRandom(r + 1);
      const a = { n: 0, x: 0 };
      const b = { n: 0, x: 0 };
      for (let t = 0; t < 3_000; t++) {
        a.n++;
        b.n++;
        if (random() < 0.1) a.x++;
        if (random() < 0.1) b.x++;
        if (t % 5 !== 4) continue;
        const i = rateDifference(a, b, alpha);
        if (i.lower > 0 || i.upper < 0) {
          crossed++;
          break;
        }
      }
    }
    expect(crossed / runs).toBeLessThanOrEqual(alpha);
  });

  it('bound a mean from its count, sum and sum of squares', () => {
    const values = Array.from({ length: 2_000 }, (_, i) => 0.001 + (i % 10) * 0.0002);
    const sum = values.reduce((s, v) => s + v, 0);
    const sumSquares = values.reduce((s, v) => s + v * v, 0);
    const i = meanInterval({ n: values.length, sum, sumSquares }, 0.05);
    expect(i.estimate).toBeCloseTo(0.0019, 6);
    expect(i.lower).toBeLessThan(0.0019);
    expect(i.upper).toBeGreaterThan(0.0019);
    expect(i.upper - i.lower).toBeLessThan(0.0004);
    expect(meanInterval({ n: 1, sum: 5, sumSquares: 25 }, 0.05).upper).toBeGreaterThan(5);
  });

  it('give a quantile rank half-width that narrows with n', () => {
    expect(quantileRankHalfWidth(0, 0.95, 0.05)).toBe(Infinity);
    expect(quantileRankHalfWidth(100, 0.95, 0.05)).toBeGreaterThan(quantileRankHalfWidth(10_000, 0.95, 0.05));
    expect(quantileRankHalfWidth(10_000, 0.95, 0.05)).toBeLessThan(0.02);
  });
});

describe('sample-ratio mismatch', () => {
  it('computes ln Γ accurately', () => {
    expect(logGamma(10)).toBeCloseTo(Math.log(362_880), 10);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 10);
    expect(logGamma(1)).toBeCloseTo(0, 12);
  });

  it('accepts the split the flag gives and flags a clearly wrong one', () => {
    expect(sampleRatioMismatch(500, 10_000, 0.05).mismatch).toBe(false);
    expect(sampleRatioMismatch(5_000, 10_000, 0.5).mismatch).toBe(false);
    const bad = sampleRatioMismatch(800, 10_000, 0.05);
    expect(bad.mismatch).toBe(true);
    expect(bad.observed_share).toBeCloseTo(0.08);
    // a few interactions are never enough
    expect(sampleRatioMismatch(3, 10, 0.05).mismatch).toBe(false);
  });

  it('rarely fires on a correct split looked at after every interaction', () => {
    let fired = 0;
    for (let r = 0; r < 100; r++) {
      const random = seededRandom(7_000 + r);
      let candidate = 0;
      for (let n = 1; n <= 5_000; n++) {
        if (random() < 0.25) candidate++;
        if (n % 10 === 0 && sampleRatioMismatch(candidate, n, 0.25).mismatch) {
          fired++;
          break;
        }
      }
    }
    expect(fired).toBeLessThanOrEqual(1); // α = 0.001: expect ≤ 0.1 of 100
  });

  it('at 0 % any candidate traffic is a mismatch', () => {
    expect(sampleRatioMismatch(5, 100, 0).mismatch).toBe(true);
    expect(sampleRatioMismatch(0, 100, 0).mismatch).toBe(false);
  });
});
