import {
  bearerAuth,
  busLocation,
  type Clock,
  createEventBus,
  createSqlDatabase,
  type EventBus,
  type HostedService,
  hostService,
  loadConfig,
  migrate,
  provideValues,
  type RolloutsConfig,
  type RouteConfig,
  SecretSet,
  type SqlDatabase,
  systemClock,
} from '@flywheel/platform';
import type { Registry } from 'prom-client';
import { ROLLOUTS_MIGRATIONS } from './db/migrations';
import { pgliteDataDir, type RolloutsEnv } from './env';
import { EvidenceStore } from './evidence/evidence.store';
import { CaseEventsConsumer } from './gate/case-events.consumer';
import { candidateConfigHash } from './gate/candidate-config';
import { type GateRunner, GatewayGateRunner } from './gate/gate-runner';
import { GateService } from './gate/gate.service';
import { FlagSyncServer } from './flags/flag-sync.server';
import { ServedFlagsService } from './flags/served-flags.service';
import { IngestConsumer } from './ingest/ingest.consumer';
import { DecideLoop } from './rollouts/decide-loop';
import { RolloutService } from './rollouts/rollout.service';
import { RolloutStore } from './rollouts/rollout.store';
import { RolloutsController } from './rollouts/rollouts.controller';
import { RolloutMetrics } from './rollouts.metrics';
import { rolloutsOpenApi } from './openapi';

export const SERVICE = 'rollouts';

export interface RolloutsAppOptions {
  env: RolloutsEnv;
  /**
   * the `rollouts` section of flywheel.yaml and `routes` (the planned routes' flag keys, and the
   * candidate's config the gate depends on; a route missing there serves a flag named after it);
   * default: loaded from FLYWHEEL_CONFIG
   */
  config?: { rollouts: RolloutsConfig; routes?: Record<string, RouteConfig> };
  /** runs the regression gate; default: the route's accepted cases through the gateway (env.gate) */
  gateRunner?: GateRunner;
  /** a bus to share (all-in-one); else one from env, closed by close() */
  bus?: EventBus;
  /** a database to share; else Postgres (DATABASE_URL) or PGlite under FLYWHEEL_DATA_DIR */
  sql?: SqlDatabase;
  clock?: Clock;
  registry?: Registry;
}

export type RolloutsApp = HostedService & {
  bus: EventBus;
  sql: SqlDatabase;
  rollouts: RolloutService;
  gates: GateService;
  /** the flag sync (flagd sync protocol) port actually bound */
  syncPort: number;
  flags: ServedFlagsService;
};

/**
 * The rollout controller on the service host, listening on `env.port` (ROLLOUTS_PORT, 8083):
 * migrates its tables, counts interactions and votes of planned routes (consumer group
 * `env.groupId`), decides on fresh evidence and every `env.decideIntervalMs`, publishes
 * decisions on `flywheel.rollouts.v1` and serves the admin API (admin token). Serves the flags
 * (FLAGS_FILE plus each planned route's split, from the stored state) over flagd's sync protocol
 * on `env.syncPort` (ROLLOUTS_SYNC_PORT, 8015), pushing them to every client on each decision.
 */
export async function createRolloutsApp(options: RolloutsAppOptions): Promise<RolloutsApp> {
  const { env } = options;
  const config = options.config ?? loadConfig(env.configPath);
  const clock = options.clock ?? systemClock;
  const host = { service: SERVICE, port: env.port, host: env.host, registry: options.registry };
  return hostService(host, async ({ registry, own }) => {
    const sql =
      options.sql ?? own(await createSqlDatabase({ url: env.databaseUrl, dataDir: pgliteDataDir(env) }));
    await migrate(sql, ROLLOUTS_MIGRATIONS);
    const bus = options.bus ?? own(await createEventBus({ source: SERVICE, registry, ...busLocation(env) }));
    const plans = config.rollouts;
    const evidence = new EvidenceStore(sql, plans, clock);
    const metrics = new RolloutMetrics(registry);
    const routes = config.routes ?? {};
    let loop: DecideLoop | null = null;
    const gates = new GateService(
      sql,
      plans,
      options.gateRunner ?? new GatewayGateRunner(env.gate, routes),
      clock,
      {
        configHash: (route) => candidateConfigHash(plans[route]!, routes[route]),
        onRun: () => loop?.poke(),
        retryMs: env.gate.retryMs,
      },
    );
    const store = new RolloutStore();
    const rollouts = new RolloutService(sql, plans, evidence, store, bus, clock, metrics, gates);
    await rollouts.init();
    const flagKeys = Object.fromEntries(
      Object.keys(plans).map((route) => [route, routes[route]?.flag ?? route]),
    );
    const flags = own(new ServedFlagsService(sql, plans, store, { flagsFile: env.flagsFile, flagKeys }));
    await flags.start();
    const sync = own(new FlagSyncServer(() => flags.current()));
    flags.onChange((configuration) => sync.push(configuration));
    rollouts.onChange(() => void flags.refresh());
    const syncPort = await sync.listen(env.host, env.syncPort);
    loop = new DecideLoop(() => rollouts.decideAll(), env.decideIntervalMs);
    const decideLoop = loop;
    const consumer = new IngestConsumer(bus, evidence, env.groupId, () => decideLoop.poke());
    const caseEvents = new CaseEventsConsumer(bus, gates, `${env.groupId}-gate`);
    try {
      await gates.init();
      await consumer.start();
      await caseEvents.start();
    } catch (err) {
      await caseEvents.stop().catch(() => undefined);
      await consumer.stop().catch(() => undefined);
      await gates.stop().catch(() => undefined);
      throw err;
    }
    decideLoop.start();
    return {
      controllers: [RolloutsController],
      providers: provideValues(rollouts),
      openapi: rolloutsOpenApi(),
      gates: [
        bearerAuth(new SecretSet([{ secret: env.adminToken, label: 'admin' }]), {
          prefix: '/v1/',
          message: 'a valid admin token is required: Authorization: Bearer <FLYWHEEL_ADMIN_TOKEN>',
        }),
      ],
      readiness: [
        { name: 'db', check: () => sql.ping() },
        { name: 'bus', check: () => bus.ping() },
      ],
      onDrain: async () => {
        await caseEvents.stop();
        await consumer.stop();
        await gates.stop();
        await decideLoop.stop();
      },
      expose: { bus, sql, rollouts, gates, syncPort, flags },
    };
  });
}
