/**
 * Polls `fn` until it stops throwing (or returns without a failed expect), then returns its
 * value. The only way tests wait for async flows: never a bare sleep.
 */
export async function expectEventually<T>(
  fn: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 50 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw lastError instanceof Error
    ? lastError
    : new Error(`expectEventually timed out after ${timeoutMs} ms`);
}
