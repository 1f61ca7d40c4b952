import { parseGatewayEnv } from './env';
import { createGatewayApp } from './gateway-app';

/** Runs the gateway alone: `npm start -w services/gateway`. */
async function main(): Promise<void> {
  const env = parseGatewayEnv(process.env);
  const gateway = await createGatewayApp({ env });
  await gateway.app.listen(env.port, env.host);
  const url = (await gateway.app.getUrl()).replace('[::1]', '127.0.0.1');
  const routes = Object.keys(gateway.config.routes).join(', ') || 'none';
  console.log(`gateway listening on ${url} (${gateway.bus.kind} bus; routes: ${routes})`);
  if (gateway.missingProviderKeys.length > 0) {
    console.warn(
      `gateway: no API key for provider(s) ${gateway.missingProviderKeys.join(', ')}: their calls fail until the key variable is set`,
    );
  }
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    gateway.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`gateway: unclean shutdown: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(`gateway failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
