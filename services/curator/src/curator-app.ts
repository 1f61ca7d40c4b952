import {
  bearerAuth,
  busLocation,
  type Clock,
  createEventBus,
  createSqlDatabase,
  type CuratorConfig,
  type EventBus,
  type FlywheelConfig,
  type HostedService,
  hostOptionsFrom,
  hostService,
  loadConfig,
  migrate,
  redactionMetrics,
  provideValues,
  Redactor,
  SecretSet,
  type SqlDatabase,
  systemClock,
} from '@flywheel/platform';
import type { Registry } from 'prom-client';
import { CaseEvents } from './cases/case-events';
import { CaseReader } from './cases/case-reader';
import { CaseStore } from './cases/case-store';
import { ConsoleFiles } from './console/console-files';
import { ConsoleController } from './console/console.controller';
import { CuratorMetrics } from './curator.metrics';
import { CURATOR_MIGRATIONS } from './db/migrations';
import { type CuratorEnv, pgliteDataDir } from './env';
import { EvalRunsController } from './eval-runs/eval-runs.controller';
import { EvalRunsService } from './eval-runs/eval-runs.service';
import { EvalSetsController } from './eval-sets/eval-sets.controller';
import { EvalSetsService } from './eval-sets/eval-sets.service';
import { IngestConsumer } from './ingest/ingest.consumer';
import { type JoinHooks, JoinService } from './ingest/join.service';
import { countParked, ParkSweep } from './ingest/park-sweep';
import { Periodic } from './jobs/periodic';
import { type RetentionResult, RetentionJob } from './jobs/retention.job';
import { curatorOpenApi } from './openapi';
import { RolloutsClient } from './rollouts/rollouts-client';
import { RolloutsController } from './rollouts/rollouts.controller';
import { SubjectEraser } from './subjects/subject-eraser';
import { SubjectsController } from './subjects/subjects.controller';
import { Tombstones } from './subjects/tombstones';
import { TriageController } from './triage/triage.controller';
import { TriageService } from './triage/triage.service';
import { VotesController } from './votes/votes.controller';
import { VotesService } from './votes/votes.service';

export const SERVICE = 'curator';

/** Eval runs carry an answer per case: allow larger bodies than the other services. */
const BODY_LIMIT_BYTES = 8 * 1024 * 1024;

/** The curator's own error codes (the common ones are built into the host). */
export type CuratorErrorCode = 'not_configured' | 'bad_gateway';
export const CURATOR_ERROR_STATUS = { not_configured: 501, bad_gateway: 502 } satisfies Record<
  CuratorErrorCode,
  number
>;

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
  /** a metrics registry to share (all-in-one); else the host's own */
  registry?: Registry;
  /**
   * the rollout controller's base URL, asked on every forwarded call (all-in-one: known only
   * once the controller listens); default `env.rolloutsUrl` (CURATOR_ROLLOUTS_URL)
   */
  rolloutsUrl?: () => string | undefined;
}

export type CuratorApp = HostedService & {
  bus: EventBus;
  sql: SqlDatabase;
  /** the periodic jobs, to run now (tests, admin tooling) */
  jobs: {
    /** parks overdue votes and publishes pending case events and tombstones; returns how many votes it parked */
    sweep(): Promise<number>;
    retention(): Promise<RetentionResult>;
  };
};

/**
 * The curator on the service host, listening on `env.port`/`env.host`: migrates its tables,
 * consumes interactions and feedback (group `env.groupId`), runs the park sweep and retention
 * job, and serves the triage API (admin token) and the console. `flywheel start` runs it alone
 * (`--only curator`) or with the other services on one embedded bus and database. Draining stops
 * the consumer and the jobs before the HTTP server.
 */
export async function createCuratorApp(options: CuratorAppOptions): Promise<CuratorApp> {
  const { env } = options;
  const config = options.config ?? loadConfig(env.configPath);
  const clock = options.clock ?? systemClock;
  const admin = new SecretSet([{ secret: env.adminToken, label: 'admin' }]);
  const host = hostOptionsFrom(SERVICE, env, { registry: options.registry, readinessAdmin: admin });
  return hostService(host, async ({ registry, own }) => {
    const sql =
      options.sql ?? own(await createSqlDatabase({ url: env.databaseUrl, dataDir: pgliteDataDir(env) }));
    await migrate(sql, CURATOR_MIGRATIONS);
    const bus = options.bus ?? own(await createEventBus({ source: SERVICE, registry, ...busLocation(env) }));

    const { redaction, join_ttl_s, retention_days } = config.curator;
    const redactor = new Redactor({
      enabled: redaction.enabled,
      extraPatterns: redaction.extra_patterns,
      maxFieldChars: redaction.max_field_chars,
      ...redactionMetrics(registry),
    });
    const metrics = new CuratorMetrics(registry, () => countParked(sql));
    const store = new CaseStore();
    const reader = new CaseReader();
    const events = new CaseEvents(sql, bus);
    const tombstones = new Tombstones(sql, bus);
    const joins = new JoinService(sql, redactor, store, reader, events, metrics, clock, faultHooks(env));
    const sweep = new ParkSweep(sql, metrics, clock, join_ttl_s);
    const retention = new RetentionJob(sql, clock, retention_days);
    const jobs = {
      sweep: async () => {
        const parked = await sweep.run();
        await events.drain();
        await tombstones.drain();
        return parked;
      },
      retention: () => retention.run(),
    };

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
    } catch (err) {
      await consumer.stop().catch(() => undefined);
      throw err;
    }
    periodic.forEach((p) => p.start());

    return {
      controllers: [
        TriageController,
        VotesController,
        EvalSetsController,
        EvalRunsController,
        SubjectsController,
        RolloutsController,
        ConsoleController,
      ],
      providers: provideValues(
        new TriageService(sql, store, reader, events, metrics, clock),
        new VotesService(sql),
        new EvalSetsService(sql, reader, config.routes),
        new EvalRunsService(sql, clock),
        new SubjectEraser(sql, tombstones, metrics, clock, env.feedbackSecret),
        new ConsoleFiles(env.consoleDir),
        new RolloutsClient(options.rolloutsUrl ?? (() => env.rolloutsUrl), env.adminToken),
      ),
      errorStatus: CURATOR_ERROR_STATUS,
      openapi: curatorOpenApi(),
      bodyLimit: BODY_LIMIT_BYTES,
      gates: [
        bearerAuth(admin, {
          prefix: '/v1/',
          message: 'a valid admin token is required: Authorization: Bearer <FLYWHEEL_ADMIN_TOKEN>',
        }),
      ],
      readiness: [
        { name: 'db', check: () => sql.ping() },
        { name: 'bus', check: () => bus.ping() },
      ],
      onDrain: stopWork,
      expose: { bus, sql, jobs },
    };
  });
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
