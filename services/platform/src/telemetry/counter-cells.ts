import { Counter, type CounterConfiguration, type LabelValues, type Registry } from 'prom-client';

/** One label set of a counter: increments add here until the counter is read. */
export interface CounterCell {
  inc(by?: number): void;
}

class Cell<L extends string> implements CounterCell {
  pending = 0;

  constructor(readonly labels: LabelValues<L>) {}

  inc(by = 1): void {
    this.pending += by;
  }
}

/** A level of the label tree: the cells under one value of each label so far. */
type Level<L extends string> = Map<string, Level<L> | Cell<L>>;

/** The cells of each counter made by {@link counterCells}, whatever instance asked for them. */
const cellsOf = new WeakMap<Counter<string>, Cell<string>[]>();

/**
 * A prom-client counter whose label sets are pre-bound: `at(...values)` returns the cell of one
 * label set (made once, then found through one Map per label, without building a string), and
 * its increments reach the counter, as one labelled `inc` per cell, when the registry reads it
 * (its `collect` hook: `/metrics`, `registry.getSingleMetric(name).get()`), so every read sees
 * exactly what direct increments would have produced. prom-client builds and hashes a string of
 * the label set on every labelled `inc` (its `labels()` children too), which on the gateway's
 * hot path, several counters per request, cost more than the counting.
 *
 * Label values must come from bounded sets (configured names, fixed outcomes), as for any
 * Prometheus label: a cell lives as long as the process.
 */
export class CounterCells<L extends string> {
  private readonly root: Level<L> = new Map();
  private readonly cells: Cell<L>[];

  constructor(
    readonly counter: Counter<L>,
    private readonly labelNames: readonly L[],
  ) {
    this.cells = cellsOf.get(counter) as Cell<L>[];
  }

  /** The cell of the label set with these values, in the order of the counter's `labelNames`. */
  at(...values: string[]): CounterCell {
    if (values.length !== this.labelNames.length)
      throw new Error(`${this.labelNames.length} label values expected, got ${values.length}`);
    let level = this.root;
    const last = values.length - 1;
    for (let i = 0; i < last; i++) {
      const value = values[i] as string;
      let next = level.get(value) as Level<L> | undefined;
      if (next === undefined) {
        next = new Map();
        level.set(value, next);
      }
      level = next;
    }
    const value = values[last] as string;
    let cell = level.get(value) as Cell<L> | undefined;
    if (cell === undefined) {
      const labels: LabelValues<L> = {};
      this.labelNames.forEach((name, i) => (labels[name] = values[i]));
      cell = new Cell(labels);
      level.set(value, cell);
      this.cells.push(cell);
    }
    return cell;
  }
}

/**
 * The counter `config.name` of `registry` with pre-bound label sets (see {@link CounterCells}):
 * made here the first time (with the hook that hands the cells' increments over when it is
 * read); later calls on the same registry share it and its cells. A counter of that name made
 * some other way is refused: its reads would miss the cells' increments.
 */
export function counterCells<L extends string>(
  registry: Registry,
  config: Omit<CounterConfiguration<L>, 'registers' | 'collect' | 'labelNames'> & {
    labelNames: readonly L[];
  },
): CounterCells<L> {
  let counter = registry.getSingleMetric(config.name) as Counter<L> | undefined;
  if (counter === undefined) {
    const cells: Cell<L>[] = [];
    counter = new Counter<L>({
      ...config,
      registers: [registry],
      collect(this: Counter<L>) {
        for (const cell of cells) {
          if (cell.pending === 0) continue;
          const by = cell.pending;
          cell.pending = 0;
          this.inc(cell.labels, by);
        }
      },
    });
    cellsOf.set(counter as Counter<string>, cells as Cell<string>[]);
  } else if (!cellsOf.has(counter as Counter<string>)) {
    throw new Error(`counter ${config.name} exists without pre-bound cells`);
  }
  return new CounterCells(counter, config.labelNames);
}
