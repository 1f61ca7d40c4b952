import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { findExecutable } from '../infra/local/executables';
import { aptInstall } from './apt';

/** Profiles and `depends_on` conditions (docker-compose.yml uses both) need Compose 1.28+. */
export const MIN_COMPOSE_VERSION = [1, 28, 0] as const;

const INSTALL_HINT = "install Debian's docker-compose: apt-get install docker-compose";

/**
 * The `docker-compose` executable (Debian's package; only `config` is run, which needs no Docker
 * engine). When it is missing and we run as root, installs it with apt-get under the same lock
 * the Chromium provisioning uses; otherwise throws with the command to run. Never skips.
 */
export function dockerComposePath(): string {
  const found = findExecutable('docker-compose');
  if (found) return found;
  aptInstall(['docker-compose'], INSTALL_HINT);
  const installed = findExecutable('docker-compose');
  if (!installed) throw new Error(`apt-get finished but docker-compose is not on PATH: ${INSTALL_HINT}`);
  return installed;
}

/** `docker-compose version --short` as numbers, e.g. [1, 29, 2]; throws below {@link MIN_COMPOSE_VERSION}. */
export async function dockerComposeVersion(bin: string): Promise<number[]> {
  const { stdout } = await promisify(execFile)(bin, ['version', '--short']);
  const version = stdout.trim().replace(/^v/, '').split(/[.+-]/).slice(0, 3).map(Number);
  if (olderThan(version, MIN_COMPOSE_VERSION)) {
    throw new Error(
      `docker-compose ${stdout.trim()} is older than ${MIN_COMPOSE_VERSION.join('.')} (profiles, depends_on conditions): ${INSTALL_HINT}`,
    );
  }
  return version;
}

function olderThan(version: readonly number[], min: readonly number[]): boolean {
  for (let i = 0; i < min.length; i++) {
    const v = version[i] ?? 0;
    if (v !== min[i]) return v < min[i]!;
  }
  return false;
}

export interface ComposeConfigResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `docker-compose [--profile P]… --env-file <envFile> -f <file> config`: validates the file and
 * prints it resolved (anchors merged, variables interpolated). The child sees only PATH and HOME
 * plus `env`, so neither the caller's shell nor a developer's .env leaks into the result.
 */
export async function dockerComposeConfig(opts: {
  bin: string;
  file: string;
  envFile: string;
  profiles?: string[];
  env?: Record<string, string>;
}): Promise<ComposeConfigResult> {
  const args = [
    ...(opts.profiles ?? []).flatMap((p) => ['--profile', p]),
    '--env-file',
    opts.envFile,
    '-f',
    opts.file,
    'config',
  ];
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...opts.env };
  return new Promise((resolve, reject) => {
    execFile(opts.bin, args, { env, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
    });
  });
}
