import type { EvalCaseResult } from '@flywheel/contracts';
import { Presets, SingleBar } from 'cli-progress';
import type { RunListener } from '@flywheel/platform/eval';

/**
 * Progress on stderr: a bar (cli-progress) when stderr is a terminal; otherwise one line per
 * finished case, so CI logs stay readable and greppable.
 */

export interface ProgressStream extends NodeJS.WritableStream {
  isTTY?: boolean;
}

type Tally = Record<EvalCaseResult['outcome'], number>;

export function createProgress(stream: ProgressStream, label: string): RunListener {
  return stream.isTTY ? barProgress(stream, label) : lineProgress(stream, label);
}

function barProgress(stream: ProgressStream, label: string): RunListener {
  const tally: Tally = { pass: 0, flaky: 0, fail: 0, error: 0 };
  const bar = new SingleBar(
    {
      stream,
      hideCursor: true,
      format: `${label} [{bar}] {value}/{total} runs | {pass} pass, {flaky} flaky, {fail} fail, {error} error`,
    },
    Presets.shades_classic,
  );
  return {
    start: (_cases, runs) => bar.start(runs, 0, tally),
    run: () => bar.increment(1, tally),
    caseDone: (result) => {
      tally[result.outcome]++;
      bar.update(tally);
    },
    stop: () => bar.stop(),
  };
}

function lineProgress(stream: ProgressStream, label: string): RunListener {
  return {
    start: (cases, runs) => stream.write(`${label}: ${cases} cases, ${runs} runs\n`),
    run: () => undefined,
    caseDone: (result) => stream.write(`${caseLine(result)}\n`),
    stop: () => undefined,
  };
}

/** `  flaky  case-7  4/6 runs passed  contains: expected the answer to contain "Paris"` */
export function caseLine(result: EvalCaseResult): string {
  const why =
    result.outcome === 'error'
      ? result.error
      : result.outcome === 'pass'
        ? undefined
        : result.assertions
            .filter((a) => !a.pass)
            .map((a) => `${a.type}: ${a.message ?? 'failed'}`)
            .join('; ');
  const counts = `${result.passes}/${result.runs} runs passed`;
  return `  ${result.outcome.padEnd(5)}  ${result.case_id}  ${counts}${why ? `  ${oneLine(why)}` : ''}`;
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}
