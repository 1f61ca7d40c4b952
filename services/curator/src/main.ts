import { createCuratorApp } from './curator-app';
import { parseCuratorEnv } from './env';

/** Runs the curator alone: `npm start -w services/curator`. */
async function main(): Promise<void> {
  const env = parseCuratorEnv(process.env);
  const curator = await createCuratorApp({ env });
  console.log(
    `curator listening on ${curator.url} (${curator.bus.kind} bus, consumer group ${env.groupId}; ${curator.sql.kind} database; console at ${curator.url}/console)`,
  );
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    curator.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`curator: unclean shutdown: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(`curator failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
