import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../../../test-support/postgres';
import { interactionEvents, StartProcess } from './start-process';

/**
 * OpenTelemetry: with OTEL_EXPORTER_OTLP_ENDPOINT set, `flywheel start` exports spans over
 * OTLP/HTTP (JSON) to a collector — here a plain HTTP server standing in for one — and the
 * gateway's interaction event carries the trace id of the request's spans.
 */

interface OtlpSpan {
  traceId: string;
  name: string;
  kind: number;
}
interface OtlpExport {
  resourceSpans: {
    resource: { attributes: { key: string; value: { stringValue?: string } }[] };
    scopeSpans: { scope: { name: string }; spans: OtlpSpan[] }[];
  }[];
}

const exports: OtlpExport[] = [];
let collector: Server;
let flywheel: StartProcess;
let dataDir: string;
let db: TestDatabase;

beforeAll(async () => {
  collector = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.url === '/v1/traces') exports.push(JSON.parse(body) as OtlpExport);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const { port } = collector.address() as AddressInfo;
  dataDir = mkdtempSync(join(tmpdir(), 'flywheel-tracing-'));
  db = await createTestDatabase('tracing');
  flywheel = await StartProcess.start({
    DATABASE_URL: db.url,
    FLYWHEEL_DATA_DIR: dataDir,
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
  });
}, 120_000);

afterAll(async () => {
  flywheel?.kill();
  collector?.close();
  rmSync(dataDir, { recursive: true, force: true });
  await db?.drop();
});

it('exports the request and provider spans, and the interaction event carries their trace id', async () => {
  const res = await fetch(`${flywheel.gatewayUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${flywheel.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'route:demo-chat',
      user: 'traced',
      messages: [{ role: 'user', content: 'Hi' }],
    }),
  });
  expect(res.status).toBe(200);
  const id = res.headers.get('x-flywheel-interaction-id')!;
  // stopping flushes the batch span processor
  expect(await flywheel.stop('SIGTERM')).toBe(0);

  const event = (await interactionEvents(new Set([id]))).get(id) as { trace_id?: string };
  expect(event.trace_id).toMatch(/^[0-9a-f]{32}$/);
  const spans = exports.flatMap((e) => e.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));
  const inTrace = spans.filter((s) => s.traceId === event.trace_id);
  const SERVER = 2;
  const CLIENT = 3;
  // the gateway's server span and its call to the simulator (the provider SDK's fetch)
  expect(inTrace.some((s) => s.kind === SERVER)).toBe(true);
  expect(inTrace.some((s) => s.kind === CLIENT)).toBe(true);
  const services = exports.flatMap((e) =>
    e.resourceSpans.map(
      (r) => r.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue,
    ),
  );
  expect(services).toContain('flywheel');
}, 120_000);
