import { type DynamicModule, Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  type Clock,
  busLocation,
  createEventBus,
  createHttpApp,
  createSqlDatabase,
  type CuratorConfig,
  type EventBus,
  type FlywheelConfig,
  HttpKitModule,
  loadConfig,
  migrate,
  OwnedResources,
  Readiness,
  type SqlDatabase,
  systemClock,
} from '@flywheel/platform';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { AuthModule } from './auth/auth.module';
import { CaseEvents } from './cases/case-events';
import { CaseReader } from './cases/case-reader';
import { CaseStore } from './cases/case-store';
import { ConsoleFiles } from './console/console-files';
import { ConsoleModule } from './console/console.module';
import { CuratorMetrics } from './curator.metrics';
import { CURATOR_MIGRATIONS } from './db/migrations';
import { type CuratorEnv, pgliteDataDir } from './env';
import { EvalRunsModule } from './eval-runs/eval-runs.module';
import { EvalRunsService } from './eval-runs/eval-runs.service';
import { EvalSetsModule } from './eval-sets/eval-sets.module';
import { EvalSetsService } from './eval-sets/eval-sets.service';
import { IngestConsumer } from './ingest/ingest.consumer';
import { type JoinHooks, JoinService } from './ingest/join.service';
import { countParked, ParkSweep } from './ingest/park-sweep';
import { Periodic } from './jobs/periodic';
import { type RetentionResult, RetentionJob } from './jobs/retention.job';
import { curatorOpenApi } from './openapi';
import { oversizeMetrics, Redactor } from '@flywheel/platform';
import { TriageModule } from './triage/triage.module';
import { TriageService } from './triage/triage.service';
import { VotesModule } from './votes/votes.module';
import { VotesService } from './votes/votes.service';

export const SERVICE = 'curator';

/** Eval runs carry an answer per case: allow larger bodies than the other services. */
const BODY_LIMIT_BYTES = 8 * 1024 * 1024;

/** Exit code of the fault-injection exit (CURATOR_FAULT_EXIT_AFTER_FEEDBACK). */
export const FAULT_EXIT_CODE = 86;

export interface CuratorAppOptions {
  env: CuratorEnv;
  /** the `curator` and `routes` sections of flywheel.yaml; default: loaded from FLYWHEEL_CONFIG */
  config?: { curator: CuratorConfig; routes: FlywheelConfig['routes'] };
  /** a bus to share (all-in-one: the embedded bus the gateway and feedback publish to); else one from env, closed by close() */
  bus?: EventBus;
  /** a database to share; else Postgres (DATABASE_URL) or PGlite under FLYWHEEL_DATA_DIR, closed by close() */
  sql?: SqlDatabase;
  clock?: Clock;
  registry?: Registry;
}

export interface CuratorApp {
  /** base URL it listens on */
  url: string;
  app: NestFastifyApplication;
  bus: EventBus;
  sql: SqlDatabase;
  registry: Registry;
  /** the periodic jobs, to run now (tests, admin tooling) */
  jobs: {
    /** parks overdue votes and publishes pending case events; returns how many votes it parked */
    sweep(): Promise<number>;
    retention(): Promise<RetentionResult>;
  };
  /** drains (/readyz 503), stops the consumer and jobs and the HTTP server, then closes what it created */
  close(): Promise<void>;
}

/**
 * The curator, listening on `env.port`/`env.host`: migrates its tables, consumes interactions
 * and feedback (group `env.groupId`), runs the park sweep and retention job, and serves the
 * triage API and the console. `main.ts` runs it alone; `flywheel start` composes it with the
 * other services on one embedded bus and database.
 */
export async function createCuratorApp(options: CuratorAppOptions): Promise<CuratorApp> {
  const { env } = options;
  const config = options.config ?? loadConfig(env.configPath);
  const clock = options.clock ?? systemClock;
  const registry = options.registry ?? new Registry();
  if (!options.registry) collectDefaultMetrics({ register: registry });

  const owned = new OwnedResources();
  try {
    const sql =
      options.sql ??
      (await createSqlDatabase({ DATABASE_URL: env.databaseUrl }, { dataDir: pgliteDataDir(env) }));
    if (!options.sql) owned.own(sql);
    await migrate(sql, CURATOR_MIGRATIONS);
    const bus = options.bus ?? (await createEventBus({ source: SERVICE, registry, ...busLocation(env) }));
    if (!options.bus) owned.own(bus);

    const { redaction, join_ttl_s, retention_days } = config.curator;
    const redactor = new Redactor({
      enabled: redaction.enabled,
      extraPatterns: redaction.extra_patterns,
      maxFieldChars: redaction.max_field_chars,
      onOversize: oversizeMetrics(registry),
    });
    const metrics = new CuratorMetrics(registry, () => countParked(sql));
    const store = new CaseStore();
    const reader = new CaseReader();
    const events = new CaseEvents(sql, bus);
    const joins = new JoinService(sql, redactor, store, reader, events, metrics, clock, faultHooks(env));
    const sweep = new ParkSweep(sql, metrics, clock, join_ttl_s);
    const retention = new RetentionJob(sql, clock, retention_days);
    const jobs = {
      sweep: async () => {
        const parked = await sweep.run();
        await events.drain();
        return parked;
      },
      retention: () => retention.run(),
    };

    const root = rootModule([
      HttpKitModule.forRoot({ service: SERVICE, registry, openapi: curatorOpenApi() }),
      AuthModule.forRoot(env.adminToken),
      TriageModule.forRoot(new TriageService(sql, store, reader, events, metrics, clock)),
      VotesModule.forRoot(new VotesService(sql)),
      EvalSetsModule.forRoot(new EvalSetsService(sql, reader, config.routes)),
      EvalRunsModule.forRoot(new EvalRunsService(sql, clock)),
      ConsoleModule.forRoot(new ConsoleFiles(env.consoleDir)),
    ]);
    const app = await createHttpApp(root, { service: SERVICE, registry, bodyLimit: BODY_LIMIT_BYTES });
    const readiness = app.get(Readiness);
    readiness.add({ name: 'db', check: () => sql.ping() });
    readiness.add({ name: 'bus', check: () => bus.ping() });

    const consumer = new IngestConsumer(bus, joins, env.groupId);
    const periodic = [
      new Periodic('curator sweep', env.sweepIntervalMs, jobs.sweep),
      new Periodic('curator retention', env.retentionIntervalMs, jobs.retention),
    ];
    const stopWork = async () => {
      await Promise.all(periodic.map((p) => p.stop()));
      await consumer.stop();
    };
    try {
      await consumer.start();
      periodic.forEach((p) => p.start());
      await app.listen(env.port, env.host);
    } catch (err) {
      await stopWork().catch(() => undefined);
      await app.close().catch(() => undefined);
      throw err;
    }
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    return {
      url,
      app,
      bus,
      sql,
      registry,
      jobs,
      close: async () => {
        readiness.startDraining();
        await stopWork();
        await app.close();
        await owned.closeAll();
      },
    };
  } catch (err) {
    await owned.closeAll();
    throw err;
  }
}

/** CURATOR_FAULT_EXIT_AFTER_FEEDBACK: die between the sink's commit and the offset commit. */
function faultHooks(env: CuratorEnv): JoinHooks {
  const target = env.faultExitAfterFeedback;
  if (!target) return {};
  return {
    afterFeedbackCommit: (feedbackId) => {
      if (feedbackId !== target) return;
      console.error(`curator: fault injection: exiting after the write of feedback ${feedbackId}`);
      process.exit(FAULT_EXIT_CODE);
    },
  };
}

function rootModule(imports: DynamicModule[]): DynamicModule {
  @Module({})
  class CuratorAppModule {}
  return { module: CuratorAppModule, imports };
}
