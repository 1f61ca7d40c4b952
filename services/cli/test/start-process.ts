import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { Topics } from '@flywheel/contracts';
import { expectEventually } from '@flywheel/platform/testing';
import { Kafka, logLevel } from 'kafkajs';
import { startGroupAt } from '../../../test-support/kafka-groups';

const ROOT = join(__dirname, '../../..');

/** `flywheel start` as a child process, the way `npm start` and the containers run it. */
export class StartProcess {
  readonly output: string[] = [];
  private constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (b: Buffer) => this.output.push(b.toString()));
    child.stderr!.on('data', (b: Buffer) => this.output.push(b.toString()));
  }

  /** Starts it with `env` on top of this process's environment and waits for the banner. */
  static async start(env: NodeJS.ProcessEnv): Promise<StartProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'services/cli/src/main.ts', 'start'], {
      cwd: ROOT,
      env: {
        ...process.env,
        SIM_PORT: '0',
        GATEWAY_PORT: '0',
        FEEDBACK_PORT: '0',
        CURATOR_PORT: '0',
        ROLLOUTS_PORT: '0',
        ROLLOUTS_SYNC_PORT: '0',
        OPENAI_API_KEY: '',
        ANTHROPIC_API_KEY: '',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const started = new StartProcess(child);
    await expectEventually(() => expect(started.text()).toContain('Ctrl-C to stop'), {
      timeoutMs: 90_000,
      intervalMs: 200,
    });
    return started;
  }

  text(): string {
    return this.output.join('');
  }

  /** The first capture group of `pattern` in the output (the banner). */
  banner(pattern: RegExp): string {
    const match = pattern.exec(this.text());
    if (!match?.[1]) throw new Error(`not in the banner: ${pattern}\n${this.text()}`);
    return match[1];
  }

  get gatewayUrl(): string {
    return this.banner(/gateway \(POST[^\n]*?(http:\/\/\S+)/);
  }

  get simUrl(): string {
    return this.banner(/upstream simulator[^\n]*?(http:\/\/\S+)/);
  }

  get apiKey(): string {
    return this.banner(/gateway API key \(dev\)\s+(\S+)/);
  }

  /** Sends `signal` and resolves with the exit code. */
  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode !== null) return Promise.resolve(this.child.exitCode);
    const exited = new Promise<number | null>((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.child.kill(signal);
    return exited;
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

/** When the test file that imported this module was loaded: before it published anything. */
const fileLoadedAt = Date.now();

/**
 * The interaction events with these ids from the real Kafka topic, by id. Reads from `since`
 * (default: when the test file was loaded), not through every earlier suite's events on the
 * shared broker.
 */
export async function interactionEvents(
  ids: ReadonlySet<string>,
  timeoutMs = 20_000,
  since = fileLoadedAt,
): Promise<Map<string, unknown>> {
  const seen = new Map<string, unknown>();
  const brokers = process.env.KAFKA_BROKERS!;
  const groupId = `cli-test-${process.pid}-${Date.now()}`;
  await startGroupAt(brokers, groupId, [Topics.interactions], since);
  const kafka = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  await consumer.subscribe({ topic: Topics.interactions, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const key = message.key?.toString();
      if (key && ids.has(key) && message.value) seen.set(key, JSON.parse(message.value.toString()));
    },
  });
  try {
    await expectEventually(() => expect(seen.size).toBe(ids.size), { timeoutMs, intervalMs: 200 });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}
