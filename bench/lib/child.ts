import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { findExecutable } from '../../infra/local/executables';
import { terminate } from '../../infra/local/processes';
import { ownChild, releaseChild } from '../../infra/local/safety-net';

/**
 * A service under benchmark in its own process (so it does not share the load generator's event
 * loop). Output goes to `logFile`. Launched through `setpriv --pdeathsig KILL` when available, so
 * it dies with the benchmark even when that is killed; also SIGKILLed on the benchmark's exit.
 */
export interface BenchChild {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves with the exit code (or signal) once the process has exited. */
  readonly exited: Promise<string>;
  /** Graceful stop (`signal`, SIGKILL after `graceMs`). */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
  /** The last lines of its output, for error messages. */
  tail(lines?: number): string;
}

export function startChild(opts: {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  logFile: string;
}): Promise<BenchChild> {
  const setpriv = findExecutable('setpriv');
  const argv = setpriv
    ? [setpriv, '--pdeathsig', 'KILL', '--', opts.command, ...opts.args]
    : [opts.command, ...opts.args];
  const out = openSync(opts.logFile, 'a');
  return new Promise<BenchChild>((resolve, reject) => {
    const child = spawn(argv[0] as string, argv.slice(1), {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ['ignore', out, out],
    });
    child.once('error', reject);
    child.once('spawn', () => {
      const pid = child.pid as number; // setpriv execs the command: same pid
      ownChild(pid);
      const exited = new Promise<string>((done) =>
        child.once('exit', (code, sig) => {
          releaseChild(pid);
          done(sig ?? String(code));
        }),
      );
      let stopped = false;
      resolve({
        name: opts.name,
        pid,
        logFile: opts.logFile,
        exited,
        async stop(signal = 'SIGTERM', graceMs = 10_000) {
          if (stopped) return exited.then(() => undefined);
          stopped = true;
          await terminate(pid, signal, graceMs);
          await exited;
        },
        tail(lines = 30) {
          try {
            return readFileSync(opts.logFile, 'utf8').split('\n').slice(-lines).join('\n');
          } catch {
            return '';
          }
        },
      });
    });
  }).finally(() => closeSync(out));
}

/**
 * Polls `url` until it answers 2xx; rejects after `timeoutMs` or as soon as `child` exits,
 * with the end of its output.
 */
export async function waitForHttp(child: BenchChild, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exit: string | undefined;
  void child.exited.then((code) => (exit = code));
  let last = '';
  while (Date.now() < deadline) {
    if (exit !== undefined) {
      throw new Error(`${child.name} exited (${exit}) before answering ${url}:\n${child.tail()}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) {
        await res.arrayBuffer();
        return;
      }
      last = `HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `${child.name} did not answer ${url} within ${timeoutMs} ms (last: ${last}):\n${child.tail()}`,
  );
}
