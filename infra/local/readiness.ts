import fs from 'node:fs';
import { isAlive } from './proc';

/** The last `count` lines of a log file ('' if it does not exist). */
export function tailLines(file: string, count = 40): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

/**
 * The first `count` lines that say ERROR or FATAL, each with the exception line under it: the
 * cause, which the shutdown noise at the end of a log hides.
 */
export function errorLines(file: string, count = 5): string {
  let lines: string[];
  try {
    lines = fs.readFileSync(file, 'utf8').split('\n');
  } catch {
    return '';
  }
  return lines
    .flatMap((line, i) => {
      if (!/\b(ERROR|FATAL)\b/.test(line)) return [];
      const next = lines[i + 1];
      return next && /^\S+(Exception|Error)\b/.test(next) ? [`${line}\n  ${next}`] : [line];
    })
    .slice(0, count)
    .join('\n');
}

/**
 * Polls `probe` until it answers true. Fails, quoting the first errors and the last 40 lines of
 * each non-empty log file, when the process exits first or `timeoutMs` passes.
 */
export async function waitUntilReady(opts: {
  name: string;
  pid: number;
  logFiles: string[];
  timeoutMs: number;
  probe: () => Promise<boolean>;
  intervalMs?: number;
}): Promise<void> {
  const { name, pid, logFiles, timeoutMs, probe, intervalMs = 100 } = opts;
  const deadline = Date.now() + timeoutMs;
  const failure = (why: string) => {
    const logs = logFiles.flatMap((file) => {
      const [errors, tail] = [errorLines(file), tailLines(file)];
      return [
        ...(errors ? [`first errors in ${file}:\n${errors}`] : []),
        ...(tail ? [`last 40 lines of ${file}:\n${tail}`] : []),
      ];
    });
    return new Error(
      `${name} ${why}; ${logs.length > 0 ? logs.join('\n') : `no output in ${logFiles.join(', ')}`}`,
    );
  };
  for (;;) {
    if (!isAlive(pid)) throw failure(`(pid ${pid}) exited before it was ready`);
    if (await probe()) return;
    if (Date.now() >= deadline) throw failure(`(pid ${pid}) was not ready within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
