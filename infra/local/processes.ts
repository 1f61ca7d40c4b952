import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { findExecutable } from './executables';
import { descendants, isAlive } from './proc';
import { ownChild, releaseChild } from './safety-net';

export interface LaunchSpec {
  command: string;
  args: string[];
  /** stdout and stderr are appended here. */
  logFile: string;
  /** Detached servers get their own session and may outlive this process (the CLI's `up`). */
  detached: boolean;
  cwd?: string;
  /** Run as this OS user (postgres refuses to run as root). */
  uid?: number;
  gid?: number;
  /** Signal for a graceful stop: SIGTERM, or SIGINT for postgres' fast shutdown. */
  stopSignal: NodeJS.Signals;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function signal(pids: number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
}

/** Polls until none of `pids` is alive; false if some still are after `timeoutMs`. */
export async function waitForExit(pids: number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(isAlive)) {
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
  return true;
}

/** SIGKILL `pid` and all its descendants (a crash, as fault tests want) and wait until they are gone. */
export async function killTree(pid: number): Promise<void> {
  const tree = [pid, ...descendants(pid)];
  signal(tree, 'SIGKILL');
  if (!(await waitForExit(tree, 10_000))) throw new Error(`processes ${tree.join(', ')} survived SIGKILL`);
}

/** Sends `sig` to `pid` only (it stops its own children), waits, and falls back to SIGKILL on the tree. */
export async function terminate(pid: number, sig: NodeJS.Signals, graceMs = 10_000): Promise<void> {
  const tree = [pid, ...descendants(pid)];
  signal([pid], sig);
  if (await waitForExit(tree, graceMs)) return;
  signal([...tree, ...tree.flatMap(descendants)], 'SIGKILL');
  if (!(await waitForExit(tree, 10_000))) throw new Error(`processes ${tree.join(', ')} survived SIGKILL`);
}

/** Runs a command to completion, capturing its combined output. */
export function run(
  command: string,
  args: string[],
  opts: { cwd?: string; uid?: number; gid?: number } = {},
): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, sig) => resolve({ code: code ?? (sig ? 128 : 1), output }));
  });
}

/**
 * The command line wrapped in `setpriv --pdeathsig KILL` (util-linux), which execs the server
 * (same pid) with the kernel's parent-death signal set: the server is SIGKILLed even when its
 * owner dies by a signal and no 'exit' handler runs (a Jest worker killed on timeout).
 */
function diesWithParent(spec: LaunchSpec): string[] {
  const setpriv = findExecutable('setpriv');
  return setpriv
    ? [setpriv, '--pdeathsig', 'KILL', '--', spec.command, ...spec.args]
    : [spec.command, ...spec.args];
}

/** One server process that can be launched again with the same arguments after it died. */
export class ServerProcess {
  private current: number | undefined;

  constructor(private readonly spec: LaunchSpec) {}

  /** The pid while the process runs, else undefined. */
  get pid(): number | undefined {
    return this.current !== undefined && isAlive(this.current) ? this.current : undefined;
  }

  /** Starts the process unless it already runs; returns its pid. */
  launch(): Promise<number> {
    const running = this.pid;
    if (running !== undefined) return Promise.resolve(running);
    const { logFile, detached, cwd, uid, gid } = this.spec;
    const [command, ...args] = detached ? [this.spec.command, ...this.spec.args] : diesWithParent(this.spec);
    const out = fs.openSync(logFile, 'a');
    return new Promise<number>((resolve, reject) => {
      const child = spawn(command as string, args, { cwd, uid, gid, detached, stdio: ['ignore', out, out] });
      child.once('error', reject);
      child.once('spawn', () => {
        const pid = child.pid as number;
        this.current = pid;
        if (detached) {
          child.unref();
        } else {
          ownChild(pid);
          child.once('exit', () => releaseChild(pid));
        }
        resolve(pid);
      });
    }).finally(() => fs.closeSync(out));
  }

  async kill(): Promise<void> {
    if (this.current === undefined) return;
    await killTree(this.current);
    releaseChild(this.current);
    this.current = undefined;
  }

  async stop(): Promise<void> {
    if (this.current === undefined) return;
    await terminate(this.current, this.spec.stopSignal);
    releaseChild(this.current);
    this.current = undefined;
  }
}
