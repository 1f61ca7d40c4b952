import { Counter, Registry } from 'prom-client';
import { counterCells } from './counter-cells';

const config = {
  name: 'test_attempts_total',
  help: 'attempts',
  labelNames: ['provider', 'model', 'outcome'] as const,
};
type Label = (typeof config.labelNames)[number];

/** A realistic mix: 3 providers × 4 models × 3 outcomes, 10,000 increments, some by more than one. */
function workload(): [string, string, string, number][] {
  const out: [string, string, string, number][] = [];
  for (let i = 0; i < 10_000; i++) {
    out.push([
      `p${i % 3}`,
      `m${i % 4}`,
      ['ok', 'error', 'timeout'][i % 7 === 0 ? 1 : i % 13 === 0 ? 2 : 0]!,
      1 + (i % 5 === 0 ? 2 : 0),
    ]);
  }
  return out;
}

describe('counterCells', () => {
  it('exposes exactly what direct labelled increments expose, at every read', async () => {
    const bound = new Registry();
    const direct = new Registry();
    const cells = counterCells(bound, { ...config, labelNames: [...config.labelNames] });
    const plain = new Counter<Label>({ ...config, labelNames: [...config.labelNames], registers: [direct] });
    const steps = workload();
    for (const [i, [provider, model, outcome, by]] of steps.entries()) {
      cells.at(provider, model, outcome).inc(by);
      plain.inc({ provider, model, outcome }, by);
      // reads in the middle see everything so far, and do not count anything twice
      if (i === 4_999) expect(await bound.metrics()).toBe(await direct.metrics());
    }
    expect(await bound.metrics()).toBe(await direct.metrics());
    expect(await bound.metrics()).toBe(await direct.metrics());
    expect(await bound.getSingleMetricAsString(config.name)).toContain(
      'test_attempts_total{provider="p0",model="m0",outcome="ok"}',
    );
  });

  it('sums the cells of every instance that shares the counter (two services on one registry)', async () => {
    const registry = new Registry();
    const a = counterCells(registry, { ...config, labelNames: [...config.labelNames] });
    const b = counterCells(registry, { ...config, labelNames: [...config.labelNames] });
    expect(b.counter).toBe(a.counter);
    for (let i = 0; i < 1000; i++) {
      a.at('p', 'm', 'ok').inc();
      b.at('p', 'm', 'ok').inc(2);
    }
    const values = (await registry.getSingleMetric(config.name)!.get()).values;
    expect(values).toEqual([{ labels: { provider: 'p', model: 'm', outcome: 'ok' }, value: 3000 }]);
  });

  it('refuses a counter of that name made without cells, and label values of the wrong count', () => {
    const registry = new Registry();
    new Counter({ name: 'other_total', help: 'h', labelNames: ['a'], registers: [registry] });
    expect(() => counterCells(registry, { name: 'other_total', help: 'h', labelNames: ['a'] })).toThrow(
      /without pre-bound cells/,
    );
    const cells = counterCells(registry, { ...config, labelNames: [...config.labelNames] });
    cells.at('p', 'm', 'ok').inc();
    expect(() => cells.at('p', 'm')).toThrow(/3 label values expected, got 2/);
    expect(() => cells.at('p', 'm', 'ok', 'x')).toThrow(/3 label values expected, got 4/);
  });
});
