import { createFeedbackApp } from './feedback-app';
import { parseFeedbackEnv } from './env';

/** Runs the feedback service alone: `npm start -w services/feedback`. */
async function main(): Promise<void> {
  const env = parseFeedbackEnv(process.env);
  const feedback = await createFeedbackApp({ env });
  const backends = `${feedback.bus.kind} bus, ${feedback.kv.kind} key-value store`;
  console.log(
    `feedback listening on ${feedback.url} (${backends}; demo: ${env.demo.mode}; widget v=${feedback.widgetVersion})`,
  );
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    feedback.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`feedback: unclean shutdown: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(`feedback failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
