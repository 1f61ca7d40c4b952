/**
 * Redaction benchmark: how long one string takes to redact, for ordinary prose with PII and for
 * the adversarial shapes that made the old patterns quadratic (`a-a-…`, `sk-sk-…`, `eyJ-…`,
 * long whitespace after "password is", long local parts without a domain).
 *   npm run bench:redaction
 * Each input is redacted at 120 KB, 512 KiB and 1 MiB with the size cap raised above the input
 * (so every character is read), BENCH_REDACTION_RUNS times after a warm-up; reports the median
 * and worst ms and the ratio 1 MiB / 512 KiB (≈ 2 when linear). Then the same 1 MiB with the
 * default cap (256 Ki characters read, the rest replaced unread).
 * Prints figures and writes bench/results/redaction.json. Target: 1 MiB ≤ 100 ms (median).
 */
import { DEFAULT_MAX_FIELD_CHARS, PII_CORPUS, Redactor } from '../services/platform/src/redaction';
import { machineInfo, writeResults } from './lib/results';
import { round } from './lib/stats';

const RUNS = Number(process.env.BENCH_REDACTION_RUNS ?? 7);
const KB = 1000;
const KIB = 1024;
const SIZES = { '120KB': 120 * KB, '512KiB': 512 * KIB, '1MiB': 1024 * KIB } as const;
const TARGET_MS = 100;

/** `unit` repeated to exactly `size` characters. */
function fill(unit: string, size: number): string {
  return unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
}

const prose =
  PII_CORPUS.map((s) => s.text).join('\n') + '\nThe quick brown fox, version 1.2.3.4, 2024-05-01.\n';

const INPUTS: Record<string, (size: number) => string> = {
  prose_with_pii: (size) => fill(prose, size),
  'a-a-a': (size) => fill('a-', size),
  'sk-sk-sk': (size) => fill('sk-', size),
  'eyJ-eyJ': (size) => fill('eyJ-', size),
  'password is + spaces': (size) => `password is${fill(' ', size - 12)}!`,
  'x…x@ (no domain)': (size) => `${fill('x', size - 1)}@`,
  'a.a.a (dotted)': (size) => fill('a.', size),
  digits_and_dashes: (size) => fill('4111-1111-', size),
  mixed_adversarial: (size) =>
    fill(`${'a-'.repeat(500)}${'sk-'.repeat(300)}password is${' '.repeat(400)}!${'x'.repeat(300)}@\n`, size),
};

function measure(redactor: Redactor, text: string): { median_ms: number; max_ms: number } {
  redactor.redact(text); // warm-up: JIT, regex compilation
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    redactor.redact(text);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { median_ms: round(times[Math.floor(times.length / 2)] ?? 0), max_ms: round(times.at(-1) ?? 0) };
}

function main(): void {
  const uncapped = new Redactor({ enabled: true, extraPatterns: [], maxFieldChars: 4 * 1024 * KIB });
  let dropped = 0;
  const capped = new Redactor({ enabled: true, extraPatterns: [], onOversize: (n) => (dropped += n) });
  const rows: Record<string, unknown>[] = [];
  for (const [name, make] of Object.entries(INPUTS)) {
    const figures: Record<string, { median_ms: number; max_ms: number }> = {};
    for (const [label, size] of Object.entries(SIZES)) figures[label] = measure(uncapped, make(size));
    const ratio = round(
      (figures['1MiB']?.median_ms ?? 0) / Math.max(0.01, figures['512KiB']?.median_ms ?? 0),
    );
    const cappedFigures = measure(capped, make(SIZES['1MiB']));
    const row: Record<string, unknown> = {
      input: name,
      ...Object.fromEntries(Object.entries(figures).map(([k, v]) => [`${k}_median_ms`, v.median_ms])),
      '1MiB_max_ms': figures['1MiB']?.max_ms,
      ratio_1MiB_to_512KiB: ratio,
      '1MiB_default_cap_median_ms': cappedFigures.median_ms,
    };
    rows.push(row);
    console.log(
      `${name.padEnd(24)} 120KB ${String(row['120KB_median_ms']).padStart(7)} ms   512KiB ${String(
        row['512KiB_median_ms'],
      ).padStart(7)} ms   1MiB ${String(row['1MiB_median_ms']).padStart(7)} ms (max ${row['1MiB_max_ms']})` +
        `   ×${ratio}   capped ${cappedFigures.median_ms} ms`,
    );
  }
  const worst1MiB = Math.max(...rows.map((r) => Number(r['1MiB_median_ms'])));
  const worst120KB = Math.max(...rows.map((r) => Number(r['120KB_median_ms'])));
  const summary = {
    target: `1 MiB redacted in ≤ ${TARGET_MS} ms (median of ${RUNS})`,
    worst_1MiB_median_ms: worst1MiB,
    worst_120KB_median_ms: worst120KB,
    met: worst1MiB <= TARGET_MS,
    default_max_field_chars: DEFAULT_MAX_FIELD_CHARS,
  };
  console.log(
    `\nworst 1 MiB median ${worst1MiB} ms, worst 120 KB median ${worst120KB} ms: target ${summary.met ? 'met' : 'NOT met'}`,
  );
  const path = writeResults('redaction', { machine: machineInfo(), runs: RUNS, summary, rows, dropped });
  console.log(`wrote ${path}`);
}

main();
