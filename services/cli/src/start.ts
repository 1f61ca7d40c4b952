import { join } from 'node:path';
import {
  busLocation,
  createEventBus,
  parseKafkaEnv,
  type EventBus,
  type FlywheelConfig,
  loadConfig,
  registerLogSecret,
} from '@flywheel/platform';
import type { GateRunner } from '@flywheel/rollouts';
import type { SimServer } from '@flywheel/upstream-sim';
import { devSecrets } from './dev-secrets';

/** What `flywheel start --only <name>` can run alone (one per container). */
export const SERVICES = ['gateway', 'feedback', 'curator', 'rollouts', 'sim'] as const;
export type ServiceName = (typeof SERVICES)[number];

export interface StartOptions {
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  /** run this one service on its own, configured by the environment only (containers) */
  only?: ServiceName;
}

export interface Started {
  /** one entry per component: name and URL */
  components: { name: string; url: string }[];
  secrets: { apiKey: string; adminToken: string; gatewayAdminToken: string; demoKey: string };
  /**
   * Graceful stop: every HTTP service drains at once (/readyz 503, in-flight requests and
   * streams finish, then connections close), then the event bus flushes its spool, then the
   * simulator (which in-flight calls may still need) stops.
   */
  stop(): Promise<void>;
}

/** The variable `npm start` puts the demo page's key in; flywheel.yaml `api_keys` scopes it. */
export const DEMO_KEY_ENV = 'FLYWHEEL_DEMO_API_KEY';

/** Stops in three waves: services (in parallel), then the shared bus, then the simulator. */
class Shutdown {
  readonly services: (() => Promise<void>)[] = [];
  readonly backends: (() => Promise<void>)[] = [];
  readonly upstreams: (() => Promise<void>)[] = [];

  constructor(private readonly log: (line: string) => void) {}

  async run(): Promise<void> {
    for (const wave of [this.services, this.backends, this.upstreams]) {
      const steps = wave.splice(0);
      const results = await Promise.allSettled(steps.map((s) => s()));
      for (const r of results) if (r.status === 'rejected') this.log(`stop: ${String(r.reason)}`);
    }
  }
}

/**
 * The composition root. Without `only`: the all-in-one `npm start` — the upstream simulator
 * when no provider key is set, the gateway, the feedback service (widget + /demo) and the
 * curator (triage API + /console) in this process, on one event bus (embedded unless
 * KAFKA_BROKERS is set), with dev secrets generated once. With `only`: that service alone,
 * configured by its environment only (what the containers run).
 */
export async function start({ env, log, only }: StartOptions): Promise<Started> {
  return only ? startOne(only, env, log) : startAll(env, log);
}

/**
 * Each service's package loads only when it is started (dynamic `import()`; esbuild keeps it lazy
 * in the bundle), so `--only gateway` never loads the curator's, feedback's or rollouts'
 * dependencies.
 */
const load = {
  gateway: () => import('@flywheel/gateway'),
  feedback: () => import('@flywheel/feedback'),
  curator: () => import('@flywheel/curator'),
  rollouts: () => import('@flywheel/rollouts'),
  sim: () => import('@flywheel/upstream-sim'),
} as const;

async function startAll(env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<Started> {
  const [
    { createGatewayApp, parseGatewayEnv },
    { createFeedbackApp, parseFeedbackEnv },
    { createCuratorApp, parseCuratorEnv },
    { createRolloutsApp, GatewayGateRunner, parseRolloutsEnv },
    { createSimServer },
  ] = await Promise.all([load.gateway(), load.feedback(), load.curator(), load.rollouts(), load.sim()]);
  const dataDir = env.FLYWHEEL_DATA_DIR ?? '.flywheel';
  const secrets = devSecrets(env, join(dataDir, 'dev-secrets.json'));
  for (const s of Object.values(secrets)) registerLogSecret(s);
  const host = '127.0.0.1';
  const components: Started['components'] = [];
  const shutdown = new Shutdown(log);
  try {
    let sim: SimServer | null = null;
    if (!env.OPENAI_API_KEY && !env.ANTHROPIC_API_KEY) {
      sim = await createSimServer({ port: Number(env.SIM_PORT ?? 8090), host });
      components.push({ name: 'upstream simulator (OpenAI + Anthropic APIs)', url: sim.url });
      shutdown.upstreams.push(() => sim!.close());
    }
    const bus = await createEventBus({
      source: 'flywheel',
      ...busLocation({ kafka: parseKafkaEnv(env), spoolDir: join(dataDir, 'spool', 'all-in-one') }),
    });
    shutdown.backends.push(() => bus.close());

    const config = loadConfig(env.FLYWHEEL_CONFIG);
    if (sim) pointAtSimulator(config, sim.url);
    // the controller first: the gateway evaluates the flags it serves (FLAGS_FILE merged with
    // the planned routes' splits) from its first request on
    const rolloutsEnv = parseRolloutsEnv({
      ...env,
      ROLLOUTS_HOST: host,
      ROLLOUTS_PORT: env.ROLLOUTS_PORT ?? '8083',
      ROLLOUTS_SYNC_PORT: env.ROLLOUTS_SYNC_PORT ?? '8015',
      FLYWHEEL_ADMIN_TOKEN: secrets.adminToken,
      GATEWAY_ADMIN_TOKEN: secrets.gatewayAdminToken,
      FLYWHEEL_DATA_DIR: dataDir,
    });
    // the gateway and the curator listen after the controller: until then a gate run cannot
    // finish, and the controller retries it (ROLLOUTS_GATE_RETRY_MS)
    const lateGate: { runner?: GateRunner } = {};
    const rollouts = await createRolloutsApp({
      env: rolloutsEnv,
      config,
      bus,
      gateRunner: {
        run: async (route, plan) => {
          if (!lateGate.runner) throw new Error('the gateway and curator are not listening yet');
          return lateGate.runner.run(route, plan);
        },
      },
    });
    shutdown.services.push(() => rollouts.close());
    components.push({ name: 'rollout controller (GET /v1/rollouts)', url: rollouts.url });
    components.push({
      name: 'flag sync (flagd sync protocol, gRPC)',
      url: `grpc://${host}:${rollouts.syncPort}`,
    });

    const feedbackPort = env.FEEDBACK_PORT ?? '8081';
    const demoKeyName = Object.entries(config.api_keys).find(([, k]) => k.key_env === DEMO_KEY_ENV)?.[0];
    const gateway = await createGatewayApp({
      config,
      env: parseGatewayEnv({
        ...env,
        GATEWAY_HOST: host,
        GATEWAY_PORT: env.GATEWAY_PORT ?? '8080',
        FLYWHEEL_API_KEYS: secrets.apiKey,
        GATEWAY_ADMIN_TOKEN: secrets.gatewayAdminToken,
        FLYWHEEL_FEEDBACK_SECRET: secrets.feedbackSecret,
        FLAGS_SYNC_ADDRESS: env.FLAGS_SYNC_ADDRESS ?? `${host}:${rollouts.syncPort}`,
        GATEWAY_CORS_ORIGINS:
          env.GATEWAY_CORS_ORIGINS ?? `http://${host}:${feedbackPort},http://localhost:${feedbackPort}`,
      }),
      bus,
      providerEnv: { ...env, SIM_API_KEY: env.SIM_API_KEY ?? 'sim', [DEMO_KEY_ENV]: secrets.demoKey },
    });
    shutdown.services.push(() => gateway.close());
    const gatewayUrl = gateway.url;
    components.push({ name: 'gateway (POST /v1/chat/completions)', url: gatewayUrl });

    const feedback = await createFeedbackApp({
      env: parseFeedbackEnv({
        ...env,
        FEEDBACK_HOST: host,
        FEEDBACK_PORT: feedbackPort,
        FLYWHEEL_FEEDBACK_SECRET: secrets.feedbackSecret,
        FEEDBACK_DEMO_GATEWAY_URL: env.FEEDBACK_DEMO_GATEWAY_URL ?? gatewayUrl,
        // never a full client key: only the scoped demo key (none when the config has no such key)
        FEEDBACK_DEMO_GATEWAY_KEY:
          env.FEEDBACK_DEMO_GATEWAY_KEY ?? (demoKeyName ? secrets.demoKey : undefined),
      }),
      config: config.feedback,
      bus,
    });
    shutdown.services.push(() => feedback.close());
    components.push({ name: 'feedback service (POST /v1/feedback)', url: feedback.url });
    components.push({ name: 'demo chat with the widget', url: `${feedback.url}/demo` });
    components.push({ name: 'widget script', url: `${feedback.url}/widget.js` });

    // the console's Rollouts page goes through the curator to the controller, which listens later
    const controller: { url?: string } = {};
    const curator = await createCuratorApp({
      rolloutsUrl: () => env.CURATOR_ROLLOUTS_URL ?? controller.url,
      env: parseCuratorEnv({
        ...env,
        CURATOR_HOST: host,
        CURATOR_PORT: env.CURATOR_PORT ?? '8082',
        FLYWHEEL_ADMIN_TOKEN: secrets.adminToken,
        // one process holds it anyway: lets POST /v1/subjects/{key}/erase hash a targeting key
        FLYWHEEL_FEEDBACK_SECRET: secrets.feedbackSecret,
        FLYWHEEL_DATA_DIR: dataDir,
      }),
      config,
      bus,
    });
    shutdown.services.push(() => curator.close());
    components.push({ name: 'curator (triage API GET /v1/cases)', url: curator.url });
    components.push({ name: 'triage console', url: `${curator.url}/console` });

    // the regression gate runs the accepted cases through this gateway (candidate forced by the
    // gateway admin key) and stores runs in this curator: both listen only now
    lateGate.runner = new GatewayGateRunner(
      { ...rolloutsEnv.gate, gatewayUrl, curatorUrl: curator.url },
      config.routes,
    );
    controller.url = rollouts.url;
    components.push({ name: 'rollouts in the console', url: `${curator.url}/console/#/rollouts` });

    log('');
    log('Flywheel started');
    for (const c of components) log(`  ${c.name.padEnd(48)} ${c.url}`);
    log('');
    log(`  gateway API key (dev)    ${secrets.apiKey}   (FLYWHEEL_API_KEYS: every route and model)`);
    log(
      `  gateway admin token      ${secrets.gatewayAdminToken}   (GATEWAY_ADMIN_TOKEN: eval runner, forces variants)`,
    );
    log(
      `  curator admin token      ${secrets.adminToken}   (FLYWHEEL_ADMIN_TOKEN: console login, triage API)`,
    );
    log(
      demoKeyName
        ? `  demo page key            scoped by api_keys.${demoKeyName} (${DEMO_KEY_ENV})`
        : `  demo page key            none: no api_keys entry has key_env ${DEMO_KEY_ENV}, so /demo cannot call the gateway`,
    );
    log(
      `  kept in ${join(dataDir, 'dev-secrets.json')}; set FLYWHEEL_API_KEYS / GATEWAY_ADMIN_TOKEN / FLYWHEEL_ADMIN_TOKEN / ${DEMO_KEY_ENV} to choose your own`,
    );
    log(`  backends: ${backends(env, bus)}`);
    if (sim) log('  no OPENAI_API_KEY / ANTHROPIC_API_KEY set: the simulator stands in for the providers');
    if (gateway.disabledApiKeys.length)
      log(`  api_keys without their key_env variable (disabled): ${gateway.disabledApiKeys.join(', ')}`);
    if (gateway.missingProviderKeys.length)
      log(`  providers without an API key: ${gateway.missingProviderKeys.join(', ')}`);
    log('  Ctrl-C to stop');
    return {
      components,
      secrets: {
        apiKey: secrets.apiKey,
        adminToken: secrets.adminToken,
        gatewayAdminToken: secrets.gatewayAdminToken,
        demoKey: secrets.demoKey,
      },
      stop: () => shutdown.run(),
    };
  } catch (err) {
    await shutdown.run();
    throw err;
  }
}

function backends(env: NodeJS.ProcessEnv, bus: EventBus): string {
  return [
    `event bus ${bus.kind === 'kafka' ? `Kafka (${env.KAFKA_BROKERS})` : 'embedded (set KAFKA_BROKERS for Kafka)'}`,
    `key-value ${env.REDIS_URL ? 'Redis' : 'in-memory (set REDIS_URL for Redis)'}`,
    `SQL ${env.DATABASE_URL ? 'Postgres' : 'PGlite under FLYWHEEL_DATA_DIR (set DATABASE_URL for Postgres)'}`,
  ].join('; ');
}

/** One service alone, from its environment only: no generated secrets, no simulator rewiring. */
async function startOne(
  only: ServiceName,
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
): Promise<Started> {
  for (const name of [
    'FLYWHEEL_API_KEYS',
    'FLYWHEEL_ADMIN_TOKEN',
    'GATEWAY_ADMIN_TOKEN',
    'FLYWHEEL_FEEDBACK_SECRET',
  ] as const) {
    for (const s of (env[name] ?? '').split(',')) registerLogSecret(s.trim());
  }
  const shutdown = new Shutdown(log);
  const components: Started['components'] = [];
  try {
    switch (only) {
      case 'gateway': {
        const { createGatewayApp, parseGatewayEnv } = await load.gateway();
        const gateway = await createGatewayApp({ env: parseGatewayEnv(env) });
        shutdown.services.push(() => gateway.close());
        components.push({ name: 'gateway', url: gateway.url });
        break;
      }
      case 'feedback': {
        const { createFeedbackApp, parseFeedbackEnv } = await load.feedback();
        const feedback = await createFeedbackApp({ env: parseFeedbackEnv(env) });
        shutdown.services.push(() => feedback.close());
        components.push({ name: 'feedback', url: feedback.url });
        break;
      }
      case 'curator': {
        const { createCuratorApp, parseCuratorEnv } = await load.curator();
        const curator = await createCuratorApp({ env: parseCuratorEnv(env) });
        shutdown.services.push(() => curator.close());
        components.push({ name: 'curator', url: curator.url });
        break;
      }
      case 'rollouts': {
        const { createRolloutsApp, parseRolloutsEnv } = await load.rollouts();
        const rollouts = await createRolloutsApp({ env: parseRolloutsEnv(env) });
        shutdown.services.push(() => rollouts.close());
        components.push({ name: 'rollouts', url: rollouts.url });
        components.push({
          name: 'rollouts flag sync',
          url: `grpc://${env.ROLLOUTS_HOST ?? '0.0.0.0'}:${rollouts.syncPort}`,
        });
        break;
      }
      case 'sim': {
        const { createSimServer, parseSimEnv } = await load.sim();
        const sim = await createSimServer(parseSimEnv(env));
        shutdown.upstreams.push(() => sim.close());
        components.push({ name: 'sim', url: sim.url });
        break;
      }
    }
    for (const c of components) log(`flywheel ${c.name} listening on ${c.url}`);
    const none = { apiKey: '', adminToken: '', gatewayAdminToken: '', demoKey: '' };
    return { components, secrets: none, stop: () => shutdown.run() };
  } catch (err) {
    await shutdown.run();
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
