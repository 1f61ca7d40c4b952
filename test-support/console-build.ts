import { execFile } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { promisify } from 'node:util';

const CONSOLE_DIR = resolve(__dirname, '../services/console');

/**
 * `vite build` of services/console into `outDir` (Vite is ESM-only: run its CLI, not its API).
 * Browser tests build into a private directory so they never test a stale dist/ and never
 * rewrite the one a running curator serves.
 */
export async function buildConsole(outDir: string): Promise<void> {
  const vite = resolve(
    dirname(require.resolve('vite/package.json', { paths: [CONSOLE_DIR] })),
    'bin/vite.js',
  );
  await promisify(execFile)(
    process.execPath,
    [vite, 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'],
    { cwd: CONSOLE_DIR },
  );
}
