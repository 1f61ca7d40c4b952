import { parseSimEnv } from './env';
import { createSimServer } from './sim-server';

async function main(): Promise<void> {
  const env = parseSimEnv(process.env);
  const sim = await createSimServer(env);
  console.log(
    `upstream-sim listening on ${env.host}:${sim.port}: OpenAI base ${sim.url}/v1, Anthropic base ${sim.url}, added latency ${env.latencyMs} ms`,
  );
  const stop = (): void => {
    sim.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(`upstream-sim failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
