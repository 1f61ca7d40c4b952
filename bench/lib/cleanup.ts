/**
 * What a benchmark must undo on every exit path (its children, brokers, temp dirs): `push` a
 * step, `cleanUp()` runs them newest first, once, whatever fails. SIGINT/SIGTERM clean up and
 * exit (a second signal exits at once: the safety net kills the rest); an unhandled rejection
 * cleans up and exits 1.
 */
export function exitCleanups(stopping: string): {
  push(step: () => Promise<unknown>): void;
  cleanUp(): Promise<void>;
} {
  const steps: (() => Promise<unknown>)[] = [];
  let cleaning: Promise<void> | undefined;
  const cleanUp = (): Promise<void> =>
    (cleaning ??= (async () => {
      for (const fn of steps.reverse()) await fn().catch((err: unknown) => console.error('cleanup:', err));
    })());
  process.on('unhandledRejection', (err) => {
    console.error('unhandled rejection:', err);
    void cleanUp().finally(() => process.exit(1));
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      console.error(`\n${sig}: stopping ${stopping}…`);
      process.once(sig, () => process.exit(130));
      void cleanUp().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
    });
  }
  return { push: (step) => void steps.push(step), cleanUp };
}
