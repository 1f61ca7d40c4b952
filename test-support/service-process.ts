import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { expectEventually } from '@flywheel/platform/testing';

const ROOT = resolve(__dirname, '..');

export interface ServiceProcess {
  process: ChildProcess;
  /** the URL from its "<service> listening on" log line */
  url: string;
  /** everything it printed so far (stdout and stderr) */
  output(): string;
}

/**
 * `flywheel start --only <service>` in a child process of its own, with exactly `env` (plus
 * PATH and LOG_LEVEL=info: the "listening on" line is an info log), resolved once it listens.
 * node itself runs the service, tsx as a loader: a SIGKILL of the child leaves no grandchild.
 */
export async function startServiceProcess(
  service: string,
  env: Record<string, string | undefined>,
  timeoutMs = 120_000,
): Promise<ServiceProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'services/cli/src/main.ts', 'start', '--only', service],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH, LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const listening = new RegExp(`${service} listening on (http://[^\\s"]+)`);
  const url = await expectEventually(
    () => {
      expect(child.exitCode).toBeNull();
      const m = listening.exec(output);
      expect(m).not.toBeNull();
      return m![1]!;
    },
    { timeoutMs, intervalMs: 100 },
  ).catch((err: unknown) => {
    if (child.exitCode === null) child.kill('SIGKILL');
    throw new Error(`${service} did not start: ${String(err)}\n${output}`);
  });
  return { process: child, url, output: () => output };
}
