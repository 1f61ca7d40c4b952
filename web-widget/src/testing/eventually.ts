/** Polls `fn` until it stops throwing, like `expectEventually` in @flywheel/platform/testing (which
 * the widget tests do not import: it drags in the server-side contract suites). */
export async function eventually<T>(fn: () => T, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
