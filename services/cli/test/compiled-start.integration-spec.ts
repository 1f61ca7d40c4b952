import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expectEventually } from '@flywheel/platform/testing';
import { createSimServer, type SimServer } from '../../upstream-sim/src';
import { buildServices } from '../scripts/build-services';

/**
 * The production build (`npm run build` → `services/cli/dist/flywheel.js`, what the images run):
 * plain `node`, no tsx anywhere, starts one service with `flywheel start --only gateway`, which
 * becomes ready, answers a chat completion through a provider SDK, serves its OpenAPI document
 * and drains on SIGTERM, with its OpenTelemetry instrumentation working (a GenAI span and the
 * provider SDK's HTTP span under it reach an OTLP endpoint). The bundle is built here, next to
 * the real one (same folder, so the same module resolution), and removed afterwards.
 */

const ROOT = resolve(__dirname, '../../..');
const KAFKA_BROKERS = process.env.KAFKA_BROKERS;
if (!KAFKA_BROKERS) throw new Error('KAFKA_BROKERS is not set: run in the integration project');

const API_KEY = 'fw-compiled-test-key';
const bundle = join(ROOT, `services/cli/dist/flywheel.compiled-test-${process.pid}.js`);
let dir: string;
let sim: SimServer;
let child: ChildProcess | undefined;
/** A stand-in OTLP/HTTP collector: the JSON bodies posted to /v1/traces. */
const exported: string[] = [];
let collector: Server;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'compiled-start-'));
  collector = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.url === '/v1/traces') exported.push(body);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((done) => collector.listen(0, '127.0.0.1', done));
  [sim] = await Promise.all([createSimServer(), buildServices(bundle)]);
  writeFileSync(
    join(dir, 'flywheel.yaml'),
    [
      'providers:',
      `  sim: { kind: anthropic, base_url: '${sim.url}', api_key_env: SIM_API_KEY }`,
      'models:',
      '  ok: { provider: sim, model: sim-ok }',
      'routes:',
      '  compiled:',
      '    flag: static-control',
      '    default_variant: control',
      '    variants:',
      '      control: { chain: [ok] }',
      '',
    ].join('\n'),
  );
  copyFileSync(join(ROOT, 'services/gateway/test/fixtures/flags.json'), join(dir, 'flags.json'));
}, 60_000);

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await sim?.close();
  collector?.close();
  rmSync(dir, { recursive: true, force: true });
  rmSync(bundle, { force: true });
  rmSync(`${bundle}.map`, { force: true });
});

it('runs `flywheel start --only gateway` from the compiled bundle with plain node: ready, answering, draining', async () => {
  child = spawn(process.execPath, [bundle, 'start', '--only', 'gateway'], {
    cwd: ROOT,
    // nothing inherited: no NODE_OPTIONS that could load tsx
    env: {
      PATH: process.env.PATH,
      LOG_LEVEL: 'info',
      GATEWAY_PORT: '0',
      GATEWAY_HOST: '127.0.0.1',
      FLYWHEEL_API_KEYS: API_KEY,
      FLYWHEEL_FEEDBACK_SECRET: 'compiled-test-secret-0123456789abcdef',
      FLYWHEEL_CONFIG: join(dir, 'flywheel.yaml'),
      FLAGS_FILE: join(dir, 'flags.json'),
      KAFKA_BROKERS,
      GATEWAY_SPOOL_DIR: join(dir, 'spool'),
      SIM_API_KEY: 'sk-sim',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const running = child;
  const url = await expectEventually(
    () => {
      expect(running.exitCode).toBeNull();
      const m = /gateway listening on (http:\/\/[^\s"]+)/.exec(output);
      expect(m).not.toBeNull();
      return m![1]!;
    },
    { timeoutMs: 90_000, intervalMs: 100 },
  ).catch((err: unknown) => {
    throw new Error(`the compiled gateway did not start: ${String(err)}\n${output}`);
  });

  await expectEventually(async () => expect((await fetch(`${url}/readyz`)).status).toBe(200), {
    timeoutMs: 30_000,
  });
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'route:compiled', messages: [{ role: 'user', content: 'Hi' }] }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { choices: { message: { content: string } }[] };
  expect(body.choices[0]!.message.content.length).toBeGreaterThan(0);
  // the OpenAPI document is generated from the zod schemas at run time: the bundle carries them
  const docs = await fetch(`${url}/docs`);
  expect(docs.status).toBe(200);
  expect(await docs.text()).toContain('/v1/chat/completions');

  const exited = new Promise<number | null>((done) => running.once('exit', (code) => done(code)));
  running.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(output).not.toMatch(/tsx/);

  // stopping flushed the spans: the provider call's GenAI span, and the SDK's HTTP call under it
  type Span = { spanId: string; parentSpanId?: string; name: string; kind: number };
  const spans = exported.flatMap((body) =>
    (JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: Span[] }[] }[] }).resourceSpans.flatMap(
      (r) => r.scopeSpans.flatMap((x) => x.spans),
    ),
  );
  const call = spans.find((x) => x.name === 'chat sim-ok');
  expect(call).toBeDefined();
  expect(spans.some((x) => x.parentSpanId === call!.spanId)).toBe(true);
}, 150_000);
