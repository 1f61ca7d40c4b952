import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isAlive, startTime } from './proc';
import { ownTempDir, releaseTempDir } from './safety-net';

const PREFIX = 'flywheel-infra-';
/** In an in-process server's dir: `<pid> <start time>` of the owning process. */
const OWNER_FILE = '.owner';

/**
 * A fresh `flywheel-infra-<kind>-*` dir under os.tmpdir(). An in-process one is removed at exit
 * at the latest, and by the next call here if its owner died without running exit handlers
 * (SIGKILL). Detached ones (the CLI's) belong to state.json and `down`.
 */
export function createTempDir(kind: string, detached: boolean): string {
  sweepOrphanedTempDirs();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${PREFIX}${kind}-`));
  if (!detached) {
    fs.writeFileSync(path.join(dir, OWNER_FILE), `${process.pid} ${startTime(process.pid)}`);
    ownTempDir(dir);
  }
  return dir;
}

export function removeTempDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  releaseTempDir(dir);
}

function sweepOrphanedTempDirs(): void {
  for (const name of fs.readdirSync(os.tmpdir())) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = path.join(os.tmpdir(), name);
    let owner: string;
    try {
      owner = fs.readFileSync(path.join(dir, OWNER_FILE), 'utf8');
    } catch {
      continue; // detached, or not ours to judge
    }
    const [pid, started] = owner.split(' ');
    if (!isAlive(Number(pid)) || startTime(Number(pid)) !== started)
      fs.rmSync(dir, { recursive: true, force: true });
  }
}
