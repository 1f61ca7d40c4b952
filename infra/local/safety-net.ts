import fs from 'node:fs';
import { descendants } from './proc';

/**
 * Last line of defence for in-process use (Jest): when the owning Node process exits, SIGKILL
 * every child server it still owns (with their own children) and remove their temp dirs.
 * Detached servers (the CLI's) are never registered here: they must outlive their starter.
 */
const children = new Set<number>();
const tempDirs = new Set<string>();
let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', () => {
    for (const pid of children) {
      for (const p of [pid, ...descendants(pid)]) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  });
}

export function ownChild(pid: number): void {
  install();
  children.add(pid);
}

export function releaseChild(pid: number): void {
  children.delete(pid);
}

export function ownTempDir(dir: string): void {
  install();
  tempDirs.add(dir);
}

export function releaseTempDir(dir: string): void {
  tempDirs.delete(dir);
}
