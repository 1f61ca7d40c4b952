/**
 * Preloaded into a service under soak (`node --import tsx --import bench/lib/heap-sampler.ts …`)
 * when SOAK_HEAP_LOG is set: appends one JSON line of V8 heap figures every
 * SOAK_SAMPLE_SECONDS, so the soak can tell a growing JS heap (objects kept alive) from RSS that
 * grows outside it (malloc, buffers, fragmentation). The timer is unref'd: it never keeps the
 * service alive.
 */
import { appendFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';

const file = process.env.SOAK_HEAP_LOG;
if (file) {
  const mib = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;
  const every = Number(process.env.SOAK_SAMPLE_SECONDS ?? 5) * 1000;
  setInterval(() => {
    const h = getHeapStatistics();
    const m = process.memoryUsage();
    appendFileSync(
      file,
      `${JSON.stringify({
        at: Date.now(),
        heap_used_mib: mib(h.used_heap_size),
        heap_total_mib: mib(h.total_heap_size),
        external_mib: mib(m.external),
        array_buffers_mib: mib(m.arrayBuffers),
      })}\n`,
    );
  }, every).unref();
}
