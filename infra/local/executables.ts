import fs from 'node:fs';
import path from 'node:path';

/** Absolute path of `name` on PATH, or undefined. */
export function findExecutable(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

/** Like findExecutable, but a missing tool is an error that says how to install it. */
export function requireExecutable(name: string, howToInstall: string): string {
  const found = findExecutable(name);
  if (!found) throw new Error(`\`${name}\` was not found on PATH; ${howToInstall}`);
  return found;
}
