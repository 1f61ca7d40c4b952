import type { ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InvokeResponse } from '@flywheel/contracts';
import { type ServiceProcess, startServiceProcess } from '../../../test-support/service-process';
import { createSimServer, type SimServer } from '../../upstream-sim/src';
import { API_KEY, post, SECRET, watchInteractions } from './gateway-test-kit';

/**
 * "An answered request's event survives a SIGKILL of the gateway": the gateway
 * (`node --import tsx services/cli/src/main.ts start --only gateway`, a child process) answers with Kafka unreachable, so every event can only be
 * in its spool; it is SIGKILLed right after the last answer, started again on the same spool with
 * Kafka reachable, and every answered interaction's event arrives.
 */

const KAFKA_BROKERS = process.env.KAFKA_BROKERS;
if (!KAFKA_BROKERS) throw new Error('KAFKA_BROKERS is not set: run in the integration project');

let dir: string;
let sim: SimServer;
let kafka: Awaited<ReturnType<typeof watchInteractions>>;
const children: ChildProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gateway-crash-'));
  [sim, kafka] = await Promise.all([createSimServer(), watchInteractions()]);
  writeFileSync(
    join(dir, 'flywheel.yaml'),
    [
      'providers:',
      `  sim: { kind: openai, base_url: '${sim.url}/v1', api_key_env: SIM_API_KEY, timeout_ms: 5000 }`,
      'models:',
      '  ok: { provider: sim, model: sim-ok }',
      'routes:',
      '  crash:',
      '    flag: static-control',
      '    default_variant: control',
      '    variants:',
      '      control: { chain: [ok] }',
      '',
    ].join('\n'),
  );
  copyFileSync(join(__dirname, 'fixtures/flags.json'), join(dir, 'flags.json'));
}, 60_000);

afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await kafka?.close();
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A port nothing listens on: a "Kafka" that refuses every connection. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

/** Runs the gateway as its own process and waits until it listens. */
function runGateway(brokers: string): Promise<ServiceProcess> {
  return startServiceProcess(
    'gateway',
    {
      GATEWAY_PORT: '0',
      GATEWAY_HOST: '127.0.0.1',
      FLYWHEEL_API_KEYS: API_KEY,
      FLYWHEEL_FEEDBACK_SECRET: SECRET,
      FLYWHEEL_CONFIG: join(dir, 'flywheel.yaml'),
      FLAGS_FILE: join(dir, 'flags.json'),
      KAFKA_BROKERS: brokers,
      GATEWAY_SPOOL_DIR: join(dir, 'spool'),
      SIM_API_KEY: 'sk-sim',
    },
    90_000,
  ).then((started) => {
    children.push(started.process);
    return started;
  });
}

it('delivers the event of every answered request after a SIGKILL right after the answers', async () => {
  const first = await runGateway(`127.0.0.1:${await deadPort()}`);
  const answers = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      post(`${first.url}/v1/routes/crash/invoke`, { messages: [{ role: 'user', content: `crash ${i}` }] }),
    ),
  );
  first.process.kill('SIGKILL');
  expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200));
  const ids = await Promise.all(
    answers.map(async (r) => ((await r.json()) as InvokeResponse).interaction_id),
  );
  await new Promise((done) => first.process.once('exit', done));
  expect(first.process.signalCode).toBe('SIGKILL');

  await runGateway(KAFKA_BROKERS);
  for (const [i, id] of ids.entries()) {
    const event = await kafka.event(id, 60_000);
    expect(event.status).toBe('ok');
    expect(event.request.messages).toEqual([{ role: 'user', content: `crash ${i}` }]);
  }
}, 240_000);
