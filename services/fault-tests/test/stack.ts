import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Topics } from '@flywheel/contracts';
import { expectEventually } from '@flywheel/platform/testing';
import { createSimServer, type SimServer } from '@flywheel/upstream-sim';
import { startGroupAt } from '../../../test-support/kafka-groups';

const ROOT = path.resolve(__dirname, '../../..');
export const API_KEY = 'fault-tests-api-key';
export const ADMIN_TOKEN = 'fault-tests-admin-token';
const SECRET = 'fault-tests-feedback-secret-0123456789abcdef';

export type ServiceName = 'gateway' | 'feedback' | 'curator';

/**
 * One service as its own process, started the public way: `flywheel start --only <service>`
 * (tsx, no build), configured by its environment. Its output is kept (the tail) for failures.
 */
export class ServiceProcess {
  private output = '';
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  url = '';

  constructor(
    readonly name: ServiceName,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts it and resolves with its URL once it listens. */
  async start(): Promise<string> {
    if (this.running) throw new Error(`${this.name} is already running`);
    this.output = '';
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'services/cli/src/main.ts', 'start', '--only', this.name],
      { cwd: ROOT, env: this.env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const keep = (b: Buffer) => {
      this.output = (this.output + b.toString()).slice(-200_000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.url = await expectEventually(
      () => {
        if (child.exitCode !== null || child.signalCode !== null)
          return Promise.reject(new Error(`${this.name} exited (${child.exitCode ?? child.signalCode})`));
        const m = /listening on (http:\/\/[^\s"]+)/.exec(this.output);
        expect(m).not.toBeNull();
        return m![1]!;
      },
      { timeoutMs: 180_000, intervalMs: 100 },
    ).catch((err: unknown) => {
      child.kill('SIGKILL');
      throw new Error(`${this.name} did not start: ${String(err)}\n${this.tail()}`);
    });
    return this.url;
  }

  /** SIGKILL: a crash, nothing flushed. Resolves once it is gone. */
  async kill(): Promise<void> {
    if (this.running) this.child!.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM (graceful drain), SIGKILL after 30 s. */
  async stop(): Promise<void> {
    if (!this.running) return;
    const child = this.child!;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await this.exited;
    clearTimeout(timer);
  }

  tail(chars = 4_000): string {
    return this.output.slice(-chars);
  }
}

export interface StackOptions {
  kafkaBrokers: string;
  /** feedback's store */
  redisUrl: string;
  /** the curator's database */
  databaseUrl: string;
}

/**
 * Gateway, feedback and curator as three processes around an in-process upstream simulator,
 * on the given Kafka, Redis and Postgres, with spool dirs that survive a restart.
 */
export class Stack {
  readonly gateway: ServiceProcess;
  readonly feedback: ServiceProcess;
  readonly curator: ServiceProcess;

  private constructor(
    readonly dir: string,
    private readonly sim: SimServer,
    env: Record<ServiceName, NodeJS.ProcessEnv>,
  ) {
    this.gateway = new ServiceProcess('gateway', env.gateway);
    this.feedback = new ServiceProcess('feedback', env.feedback);
    this.curator = new ServiceProcess('curator', env.curator);
  }

  static async start(opts: StackOptions): Promise<Stack> {
    // the ledger's events are published after this: the curator need not read earlier suites' first
    const curatorGroup = `fault-curator-${randomBytes(4).toString('hex')}`;
    await startGroupAt(opts.kafkaBrokers, curatorGroup, [Topics.interactions, Topics.feedback]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flywheel-faults-'));
    const sim = await createSimServer({ port: 0 });
    const configFile = path.join(dir, 'flywheel.yaml');
    fs.writeFileSync(configFile, config(sim.url));
    const flagsFile = path.join(dir, 'flags.json');
    const flag = { state: 'ENABLED', variants: { control: 'control' }, defaultVariant: 'control' };
    fs.writeFileSync(flagsFile, JSON.stringify({ flags: { chat: flag } }));
    const widgetFile = path.join(dir, 'widget.js'); // served by feedback; not what these tests look at
    fs.writeFileSync(widgetFile, '/* widget */');
    const common: NodeJS.ProcessEnv = {
      ...process.env,
      KAFKA_BROKERS: opts.kafkaBrokers,
      FLYWHEEL_CONFIG: configFile,
      FLYWHEEL_DATA_DIR: dir,
      FLYWHEEL_FEEDBACK_SECRET: SECRET,
      LOG_LEVEL: 'info', // the "listening on" line is an info log
    };
    delete common.DATABASE_URL;
    const stack = new Stack(dir, sim, {
      gateway: {
        ...common,
        GATEWAY_HOST: '127.0.0.1',
        GATEWAY_PORT: '0',
        FLYWHEEL_API_KEYS: API_KEY,
        FLAGS_FILE: flagsFile,
        GATEWAY_SPOOL_DIR: path.join(dir, 'spool-gateway'),
        SIM_API_KEY: 'sim',
      },
      feedback: {
        ...common,
        REDIS_URL: opts.redisUrl,
        FEEDBACK_HOST: '127.0.0.1',
        FEEDBACK_PORT: '0',
        FEEDBACK_DEMO: 'off',
        FEEDBACK_WIDGET_FILE: widgetFile,
        FEEDBACK_SPOOL_DIR: path.join(dir, 'spool-feedback'),
        // the load comes from one address and a few hundred users: not what is under test
        FEEDBACK_RATE_IP_POINTS: '1000000',
        FEEDBACK_RATE_SUBJECT_POINTS: '1000000',
      },
      curator: {
        ...common,
        DATABASE_URL: opts.databaseUrl,
        FLYWHEEL_ADMIN_TOKEN: ADMIN_TOKEN,
        CURATOR_HOST: '127.0.0.1',
        CURATOR_PORT: '0',
        CURATOR_GROUP_ID: curatorGroup,
        CURATOR_SPOOL_DIR: path.join(dir, 'spool-curator'),
        CURATOR_SWEEP_INTERVAL_MS: '500',
      },
    });
    try {
      await Promise.all([stack.gateway.start(), stack.feedback.start(), stack.curator.start()]);
    } catch (err) {
      await stack.stop();
      throw err;
    }
    return stack;
  }

  async stop(): Promise<void> {
    await Promise.allSettled([this.gateway.stop(), this.feedback.stop(), this.curator.stop()]);
    await this.sim.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function config(simUrl: string): string {
  return `
providers:
  sim: { kind: openai, base_url: ${simUrl}/v1, api_key_env: SIM_API_KEY }
models:
  sim-ok: { provider: sim, model: sim-ok, price: { input_per_mtok: 1, output_per_mtok: 2 } }
routes:
  chat:
    flag: chat
    default_variant: control
    variants:
      control: { chain: [sim-ok] }
feedback:
  allowed_origins: []
  reasons: [incorrect, other]
curator:
  join_ttl_s: 3600
  retention_days: 30
`;
}
