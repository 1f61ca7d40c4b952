import { behaviourLabel, FlakyCounter, parseBehaviour } from './behaviour';

describe('parseBehaviour', () => {
  it.each([
    ['sim-ok', { content: 'ok', slowMs: 0, fault: { kind: 'none' } }],
    ['sim-echo', { content: 'echo', slowMs: 0, fault: { kind: 'none' } }],
    ['sim-slow-200', { content: 'ok', slowMs: 200, fault: { kind: 'none' } }],
    ['sim-500', { content: 'ok', slowMs: 0, fault: { kind: 'status', status: 500 } }],
    ['sim-429', { content: 'ok', slowMs: 0, fault: { kind: 'status', status: 429, retryAfterS: 1 } }],
    ['sim-429-7', { content: 'ok', slowMs: 0, fault: { kind: 'status', status: 429, retryAfterS: 7 } }],
    ['sim-flaky-30', { content: 'ok', slowMs: 0, fault: { kind: 'flaky', pct: 30 } }],
    ['sim-echo-slow-50-cutstream', { content: 'echo', slowMs: 50, fault: { kind: 'cutstream' } }],
    ['sim-slow-20-500', { content: 'ok', slowMs: 20, fault: { kind: 'status', status: 500 } }],
    ['sim-badjson-slow-5', { content: 'ok', slowMs: 5, fault: { kind: 'badjson' } }],
    ['sim-timeout', { content: 'ok', slowMs: 0, fault: { kind: 'timeout' } }],
    ['sim-coin-50', { content: 'ok', slowMs: 0, fault: { kind: 'none' }, coin: { pct: 50 } }],
    ['sim-echo-coin-30-slow-5', { content: 'echo', slowMs: 5, fault: { kind: 'none' }, coin: { pct: 30 } }],
    ['sim-drip-200', { content: 'ok', slowMs: 0, fault: { kind: 'none' }, dripMs: 200 }],
    ['sim-ok-timed-slow-0', { content: 'ok', slowMs: 0, fault: { kind: 'none' }, timed: true }],
  ])('%s', (model, expected) => {
    expect(parseBehaviour(model)).toEqual(expected);
  });

  it.each([
    'gpt-4o',
    'sim',
    'sim-',
    'sim-bogus',
    'sim-slow',
    'sim-slow-abc',
    'sim-flaky',
    'sim-flaky-101',
    'sim-500-429',
    'sim-ok-echo',
    'sim-slow-1-slow-2',
    'sim-404',
    'sim-coin',
    'sim-coin-101',
    'sim-coin-10-coin-20',
    'sim-drip',
    'sim-drip-1-drip-2',
    'sim-timed-timed',
  ])('%s is unknown', (model) => {
    expect(parseBehaviour(model)).toBeUndefined();
  });

  it('labels requests by fault, else by content mode', () => {
    const label = (m: string): string => behaviourLabel(parseBehaviour(m) ?? fail(m));
    expect([
      label('sim-ok'),
      label('sim-echo-slow-3'),
      label('sim-429-2'),
      label('sim-flaky-10'),
      label('sim-coin-50'),
    ]).toEqual(['ok', 'echo', '429', 'flaky', 'coin']);
  });
});

function fail(model: string): never {
  throw new Error(`${model} did not parse`);
}

describe('FlakyCounter', () => {
  const run = (pct: number, n: number, model = 'sim-flaky'): boolean[] => {
    const counter = new FlakyCounter();
    return Array.from({ length: n }, () => counter.next(model, pct));
  };

  it('sim-flaky-50 alternates, failing first', () => {
    expect(run(50, 6)).toEqual([true, false, true, false, true, false]);
  });

  it('sim-flaky-30 fails requests 1, 4, 7, 11, …', () => {
    const failed = run(30, 14).flatMap((fails, i) => (fails ? [i + 1] : []));
    expect(failed).toEqual([1, 4, 7, 11, 14]);
  });

  it.each([0, 1, 10, 30, 33, 50, 99, 100])('fails exactly %i of every 100 consecutive requests', (pct) => {
    const outcomes = run(pct, 300);
    for (const start of [0, 100, 200]) {
      expect(outcomes.slice(start, start + 100).filter(Boolean)).toHaveLength(pct);
    }
  });

  it('counts each model name separately and restarts after reset', () => {
    const counter = new FlakyCounter();
    expect([counter.next('a', 50), counter.next('b', 50), counter.next('a', 50)]).toEqual([
      true,
      true,
      false,
    ]);
    counter.reset();
    expect(counter.next('a', 50)).toBe(true);
  });
});
