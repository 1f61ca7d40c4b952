import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { loadAverage } from './procfs';

export const RESULTS_DIR = join(__dirname, '..', 'results');

/** What the figures were measured on. */
export function machineInfo() {
  return {
    cpus: cpus().length,
    model: cpus()[0]?.model,
    memory_gib: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    load_average_1_5_15: loadAverage(),
  };
}

/** Writes `bench/results/<name>.json` and returns its path relative to the repository. */
export function writeResults(name: string, results: unknown): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${name}.json`), JSON.stringify(results, null, 2) + '\n');
  return `bench/results/${name}.json`;
}
