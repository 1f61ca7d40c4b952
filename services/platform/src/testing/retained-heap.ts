import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

/** A full garbage collection, even when Node was started without --expose-gc. */
function collect(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
  gc();
}

/**
 * Heap bytes still held after `build()` ran and a full collection, divided by `count`: what each
 * of the `count` things `build` keeps costs. `build` must return what it built (so it stays
 * reachable until measured).
 */
export async function retainedHeapPer(count: number, build: () => unknown): Promise<number> {
  collect();
  const before = process.memoryUsage().heapUsed;
  const kept = await build();
  collect();
  const after = process.memoryUsage().heapUsed;
  if (kept === undefined) throw new Error('retainedHeapPer: build() must return what it keeps');
  return (after - before) / count;
}
