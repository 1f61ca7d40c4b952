import type { EvalCaseResult } from '@flywheel/contracts';
import { caseResult, MAX_OUTPUT_CHARS, type RunResult, summarize } from './outcome';

const pass = (output = 'ok', latencyMs = 10): RunResult => ({
  kind: 'pass',
  assertions: [{ type: 'contains', pass: true }],
  output,
  latencyMs,
});
const fail = (output = 'bad', latencyMs = 10): RunResult => ({
  kind: 'fail',
  assertions: [{ type: 'contains', pass: false, message: `nope: ${output}` }],
  output,
  latencyMs,
});
const error = (message = 'HTTP 502 upstream_unavailable: down'): RunResult => ({
  kind: 'error',
  error: message,
  latencyMs: 5,
});

describe('caseResult', () => {
  it('every run passed → pass, showing the last run', () => {
    const r = caseResult('c', [pass('one', 10), pass('two', 30)], 0.5);
    expect(r).toEqual({
      case_id: 'c',
      outcome: 'pass',
      runs: 2,
      passes: 2,
      assertions: [{ type: 'contains', pass: true }],
      output: 'two',
      latency_ms: 20,
    });
  });

  it('passes / runs at or above the threshold → flaky, showing the last failing run', () => {
    const r = caseResult('c', [pass(), fail('first'), pass(), fail('second'), pass(), pass()], 0.5);
    expect(r.outcome).toBe('flaky');
    expect(r.passes).toBe(4);
    expect(r.output).toBe('second');
    expect(r.assertions).toEqual([{ type: 'contains', pass: false, message: 'nope: second' }]);
    expect(caseResult('c', [pass(), fail(), fail(), pass()], 0.5).outcome).toBe('flaky');
  });

  it('below the threshold → fail; a case that never passed is never flaky, whatever the threshold', () => {
    expect(caseResult('c', [pass(), fail(), fail(), fail()], 0.5).outcome).toBe('fail');
    expect(caseResult('c', [fail(), fail()], 0).outcome).toBe('fail');
    expect(caseResult('c', [fail()], 0.5).outcome).toBe('fail');
  });

  it('any run without an answer → error, with how many runs it hit', () => {
    const r = caseResult('c', [pass(), error('HTTP 502 a'), error('HTTP 502 b')], 0.5);
    expect(r.outcome).toBe('error');
    expect(r.error).toBe('HTTP 502 a (2 of 3 runs)');
    expect(r.passes).toBe(1);
    expect(caseResult('c', [error('timeout')], 0.5)).toMatchObject({
      outcome: 'error',
      error: 'timeout',
      output: null,
    });
  });

  it('cuts long outputs', () => {
    const r = caseResult('c', [pass('x'.repeat(MAX_OUTPUT_CHARS + 10))], 0.5);
    expect(r.output).toHaveLength(MAX_OUTPUT_CHARS + 1);
    expect(r.output?.endsWith('…')).toBe(true);
  });
});

const result = (case_id: string, outcome: EvalCaseResult['outcome']): EvalCaseResult => ({
  case_id,
  outcome,
  runs: 1,
  passes: outcome === 'pass' ? 1 : 0,
  assertions: [],
  output: null,
  latency_ms: 1,
});

describe('summarize', () => {
  it('counts outcomes; flaky counts as passing in the pass rate', () => {
    const s = summarize(
      [result('a', 'pass'), result('b', 'flaky'), result('c', 'fail'), result('d', 'error')],
      0.5,
    );
    expect(s).toEqual({
      total: 4,
      passed: 1,
      failed: 1,
      flaky: 1,
      errored: 1,
      pass_rate: 0.5,
      regressions: [],
      gate: 'pass',
    });
    expect(summarize([result('a', 'pass'), result('c', 'fail')], 0.9).gate).toBe('fail');
  });

  it('9 of 10 passing meets a 0.9 minimum exactly', () => {
    const results = Array.from({ length: 10 }, (_, i) => result(`c${i}`, i === 0 ? 'fail' : 'pass'));
    expect(summarize(results, 0.9)).toMatchObject({ pass_rate: 0.9, gate: 'pass' });
  });

  it('an empty set has pass rate 1', () => {
    expect(summarize([], 1)).toMatchObject({ total: 0, pass_rate: 1, gate: 'pass' });
  });

  it('a case that passed in the previous run and fails now is a regression and fails the gate', () => {
    const previous = {
      results: [result('a', 'pass'), result('b', 'pass'), result('c', 'flaky'), result('d', 'pass')],
    };
    const now = [
      result('a', 'fail'),
      result('b', 'pass'),
      result('c', 'fail'),
      result('d', 'error'),
      result('e', 'fail'),
    ];
    const s = summarize(now, 0, previous);
    expect(s.regressions).toEqual(['a']);
    expect(s.gate).toBe('fail');
  });
});
