import { join } from 'node:path';
import { createFeedbackApp, parseFeedbackEnv } from '@flywheel/feedback';
import { createGatewayApp, parseGatewayEnv } from '@flywheel/gateway';
import { createEventBus, loadConfig, type FlywheelConfig } from '@flywheel/platform';
import { createSimServer, type SimServer } from '@flywheel/upstream-sim';
import { devSecrets } from './dev-secrets';

export interface StartOptions {
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
}

export interface Started {
  /** one entry per component: name and URL */
  components: { name: string; url: string }[];
  secrets: { apiKey: string; adminToken: string };
  stop(): Promise<void>;
}

/**
 * The all-in-one composition root (`npm start`): the upstream simulator when no provider key
 * is set, the gateway and the feedback service (widget + /demo) in this process, sharing one
 * event bus (embedded unless KAFKA_BROKERS is set). The curator joins here when it is built.
 */
export async function start({ env, log }: StartOptions): Promise<Started> {
  const dataDir = env.FLYWHEEL_DATA_DIR ?? '.flywheel';
  const secrets = devSecrets(env, join(dataDir, 'dev-secrets.json'));
  const host = '127.0.0.1';
  const components: Started['components'] = [];
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.splice(0).reverse()) await s().catch((err: unknown) => log(`stop: ${String(err)}`));
  };
  try {
    let sim: SimServer | null = null;
    if (!env.OPENAI_API_KEY && !env.ANTHROPIC_API_KEY) {
      sim = await createSimServer({ port: Number(env.SIM_PORT ?? 8090), host });
      components.push({ name: 'upstream simulator (OpenAI + Anthropic APIs)', url: sim.url });
      stops.push(() => sim!.close());
    }
    const bus = await createEventBus(env, {
      source: 'flywheel',
      spoolDir: join(dataDir, 'spool', 'all-in-one'),
    });
    stops.push(() => bus.close());

    const config = loadConfig(env.FLYWHEEL_CONFIG);
    if (sim) pointAtSimulator(config, sim.url);
    const feedbackPort = env.FEEDBACK_PORT ?? '8081';
    const gateway = await createGatewayApp({
      config,
      env: parseGatewayEnv({
        ...env,
        GATEWAY_HOST: host,
        FLYWHEEL_API_KEYS: [secrets.apiKey, secrets.demoKey].join(','),
        FLYWHEEL_ADMIN_TOKEN: secrets.adminToken,
        FLYWHEEL_FEEDBACK_SECRET: secrets.feedbackSecret,
        GATEWAY_CORS_ORIGINS:
          env.GATEWAY_CORS_ORIGINS ?? `http://${host}:${feedbackPort},http://localhost:${feedbackPort}`,
      }),
      bus,
      providerEnv: { ...env, SIM_API_KEY: env.SIM_API_KEY ?? 'sim' },
    });
    stops.push(() => gateway.close());
    await gateway.app.listen(Number(env.GATEWAY_PORT ?? 8080), host);
    const gatewayUrl = (await gateway.app.getUrl()).replace('[::1]', host);
    components.push({ name: 'gateway (POST /v1/chat/completions)', url: gatewayUrl });

    const feedback = await createFeedbackApp({
      env: parseFeedbackEnv({
        ...env,
        FEEDBACK_HOST: host,
        FEEDBACK_PORT: feedbackPort,
        FLYWHEEL_FEEDBACK_SECRET: secrets.feedbackSecret,
        FEEDBACK_DEMO_GATEWAY_URL: env.FEEDBACK_DEMO_GATEWAY_URL ?? gatewayUrl,
        FEEDBACK_DEMO_GATEWAY_KEY: env.FEEDBACK_DEMO_GATEWAY_KEY ?? secrets.demoKey,
      }),
      bus,
    });
    stops.push(() => feedback.close());
    components.push({ name: 'feedback service (POST /v1/feedback)', url: feedback.url });
    components.push({ name: 'demo chat with the widget', url: `${feedback.url}/demo` });
    components.push({ name: 'widget script', url: `${feedback.url}/widget.js` });

    log('');
    log('Flywheel started');
    for (const c of components) log(`  ${c.name.padEnd(48)} ${c.url}`);
    log('');
    log(`  gateway API key (dev)    ${secrets.apiKey}`);
    log(`  admin token (dev)        ${secrets.adminToken}`);
    log(
      `  kept in ${join(dataDir, 'dev-secrets.json')}; set FLYWHEEL_API_KEYS / FLYWHEEL_ADMIN_TOKEN to choose your own`,
    );
    log(
      `  event bus: ${bus.kind === 'kafka' ? `Kafka (${env.KAFKA_BROKERS})` : 'embedded (set KAFKA_BROKERS for Kafka)'}; ` +
        `key-value: ${env.REDIS_URL ? 'Redis' : 'in-memory (set REDIS_URL for Redis)'}`,
    );
    if (sim) log('  no OPENAI_API_KEY / ANTHROPIC_API_KEY set: the simulator stands in for the providers');
    if (gateway.missingProviderKeys.length)
      log(`  providers without an API key: ${gateway.missingProviderKeys.join(', ')}`);
    log('  not built yet: curator + console, eval runner (see README "Status")');
    log('  Ctrl-C to stop');
    return { components, secrets: { apiKey: secrets.apiKey, adminToken: secrets.adminToken }, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The shipped config addresses the simulator at its default port; follow it to the real one. */
function pointAtSimulator(config: FlywheelConfig, simUrl: string): void {
  for (const provider of Object.values(config.providers)) {
    if (!provider.base_url) continue;
    const url = new URL(provider.base_url);
    if (url.hostname === '127.0.0.1' && url.port === '8090') {
      provider.base_url = `${simUrl}${url.pathname === '/' ? '' : url.pathname}`;
    }
  }
}
