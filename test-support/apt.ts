import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

/**
 * Installs Debian packages with apt-get when the test run is root (under a lock, so parallel
 * test workers do not race for dpkg), refreshing the package lists once if the first try fails
 * (a fresh machine has none). Throws with `hint` when it cannot: tests never skip instead.
 */
export function aptInstall(packages: string[], hint: string): void {
  if (process.getuid?.() !== 0) throw new Error(`${packages.join(', ')} missing: ${hint} (as root)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (...args: string[]) =>
    execFileSync('flock', ['/tmp/flywheel-apt.lock', 'apt-get', ...args], { stdio: 'inherit', env });
  try {
    try {
      apt('install', '-y', '--no-install-recommends', ...packages);
    } catch {
      apt('update');
      apt('install', '-y', '--no-install-recommends', ...packages);
    }
  } catch (err) {
    throw new Error(
      `could not install ${packages.join(', ')} with apt-get (${(err as Error).message}): ${hint}`,
    );
  }
}

/**
 * `path`, installing Debian's `pkg` with {@link aptInstall} first when it is missing. Throws with
 * `hint` when it cannot be had: a test that needs the program fails, it never skips.
 */
export function debianProgram(path: string, pkg: string, hint: string): string {
  if (existsSync(path)) return path;
  aptInstall([pkg], hint);
  if (!existsSync(path)) throw new Error(`apt-get finished but ${path} is missing: ${hint}`);
  return path;
}
