import { stat } from 'node:fs/promises';

/**
 * Polls one file's metadata (inode, size, mtime, ctime) and calls `onChange` when it differs,
 * including when the file appears or disappears. Polling `stat` rather than `fs.watch` works
 * for atomic renames, editors that delete and recreate, bind mounts and Kubernetes ConfigMap
 * symlink swaps alike. Never runs `onChange` concurrently with itself. The timer is unref'd.
 */
export class FileChangePoller {
  private timer: NodeJS.Timeout | undefined;
  private last = '';
  private busy = false;

  constructor(
    private readonly path: string,
    private readonly intervalMs: number,
    private readonly onChange: () => Promise<void>,
  ) {}

  /** Records the file's current state; call before reading the file, so no change is missed. */
  async prime(): Promise<void> {
    this.last = await this.signature();
  }

  start(): void {
    this.timer ??= setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const now = await this.signature();
      if (now !== this.last) {
        this.last = now;
        await this.onChange();
      }
    } finally {
      this.busy = false;
    }
  }

  private async signature(): Promise<string> {
    try {
      const s = await stat(this.path, { bigint: true });
      return `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
    } catch (err) {
      return `missing:${(err as NodeJS.ErrnoException).code ?? 'unknown'}`;
    }
  }
}
