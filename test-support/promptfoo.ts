import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The real promptfoo CLI for tests, with the Node 22 it needs (promptfoo 0.123 requires Node ≥
 * 22.22; the repo runs on Node 20). Both come from the npm registry — `promptfoo` and the `node`
 * package, which ships a Node binary — installed once per machine into the user's tool cache,
 * `$FLYWHEEL_TOOL_CACHE` or `~/.cache/flywheel` (a few minutes, about 1.6 GB; outside the clone, so
 * a fresh clone on the same machine reuses it, as it reuses Debian's Chromium). Throws, saying what
 * is missing, when they cannot be installed: tests never skip.
 */
export const PROMPTFOO_VERSION = '0.123.1';
export const NODE22_VERSION = '22.23.3';
const DIR = path.join(
  process.env.FLYWHEEL_TOOL_CACHE ?? path.join(os.homedir(), '.cache', 'flywheel'),
  `promptfoo-${PROMPTFOO_VERSION}-node-${NODE22_VERSION}`,
);

export interface PromptfooCli {
  /** the Node 22 binary */
  node: string;
  /** promptfoo's entry script, run with `node` */
  entry: string;
}

export function promptfooCli(): PromptfooCli {
  const node = path.join(DIR, 'node_modules', 'node', 'bin', 'node');
  const bin = path.join(DIR, 'node_modules', '.bin', 'promptfoo');
  if (!existsSync(node) || !existsSync(bin)) {
    mkdirSync(DIR, { recursive: true });
    writeFileSync(
      path.join(DIR, 'package.json'),
      JSON.stringify({
        private: true,
        dependencies: { promptfoo: PROMPTFOO_VERSION, node: NODE22_VERSION },
      }),
    );
    try {
      execFileSync('npm', ['install', '--no-audit', '--no-fund', '--engine-strict=false'], {
        cwd: DIR,
        stdio: 'inherit',
        timeout: 900_000,
      });
    } catch (err) {
      throw new Error(
        `promptfoo ${PROMPTFOO_VERSION} with Node ${NODE22_VERSION} is missing and could not be installed ` +
          `into ${DIR} from the npm registry (${(err as Error).message}); run ` +
          `\`npm install --prefix ${DIR} promptfoo@${PROMPTFOO_VERSION} node@${NODE22_VERSION}\``,
      );
    }
    if (!existsSync(node) || !existsSync(bin))
      throw new Error(`npm install finished but ${node} or ${bin} is missing`);
  }
  return { node, entry: realpathSync(bin) };
}
