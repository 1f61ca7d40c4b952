import { allowed, guardrailValue, interval, level, milliseconds, rate, usd, verdict } from './rollout-format';

describe('rollout figures', () => {
  it('writes rates as percentages and missing figures as a dash', () => {
    expect(rate(0.1234)).toBe('12.3 %');
    expect(rate(0)).toBe('0.0 %');
    expect(rate(null)).toBe('—');
    expect(milliseconds(1234.4)).toBe('1,234 ms');
    expect(milliseconds(null)).toBe('—');
    expect(usd(0.000123)).toBe('$0.00012');
    expect(usd(0.25)).toBe('$0.2500');
  });

  it('writes rate differences in points and ratios with ×, infinite bounds as ∞', () => {
    expect(guardrailValue('increase', 0.093)).toBe('+9.3 pts');
    expect(guardrailValue('increase', -0.02)).toBe('−2.0 pts');
    expect(guardrailValue('ratio', 1.3333)).toBe('×1.33');
    expect(guardrailValue('increase', null)).toBe('n/a');
    expect(interval({ kind: 'increase', lower: null, upper: 0.155 })).toBe('[−∞, +15.5 pts]');
    expect(interval({ kind: 'ratio', lower: 0.9, upper: null })).toBe('[×0.90, +∞]');
    expect(allowed({ kind: 'ratio', limit: 1.25 })).toBe('×1.25');
    expect(level(0.025)).toBe('97.5 %');
    expect(level(0.0125)).toBe('98.75 %');
  });

  it('says "no data yet" rather than "not violated" before any evidence', () => {
    expect(verdict({ estimate: null, lower: null, upper: null, violated: false })).toBe('no data yet');
    expect(verdict({ estimate: 0, lower: null, upper: null, violated: false })).toBe('no data yet');
    expect(verdict({ estimate: 0.01, lower: -0.1, upper: 0.12, violated: false })).toBe('not violated');
    expect(verdict({ estimate: 0.2, lower: 0.05, upper: 0.3, violated: true })).toBe('violated');
  });
});
