import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Spool } from '@flywheel/platform';
import { expectEventually } from '@flywheel/platform/testing';
import { createTestDatabase, type TestDatabase } from '../../../test-support/postgres';
import { interactionEvents, StartProcess } from './start-process';

/**
 * SIGTERM under load, the way an orchestrator stops a pod: `flywheel start` on real Kafka,
 * Redis and Postgres, with requests in flight (slow upstream answers, some streamed) when the
 * signal arrives. Every in-flight request must complete, the event spool must be empty, each
 * request's interaction event must be on Kafka, and the process must exit 0 well inside 30 s.
 */

const IN_FLIGHT = 40;

let flywheel: StartProcess;
let dataDir: string;
let db: TestDatabase;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'flywheel-shutdown-'));
  db = await createTestDatabase('shutdown');
  flywheel = await StartProcess.start({ DATABASE_URL: db.url, FLYWHEEL_DATA_DIR: dataDir });
}, 120_000);

afterAll(async () => {
  flywheel?.kill();
  rmSync(dataDir, { recursive: true, force: true });
  await db?.drop();
});

it('finishes every in-flight request, flushes the spool to Kafka and exits 0 within 30 s', async () => {
  const { gatewayUrl, apiKey } = flywheel;
  const chat = (i: number, stream: boolean) =>
    fetch(`${gatewayUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'sim-slow',
        user: `drain-${i}`,
        stream,
        messages: [{ role: 'user', content: `question ${i}` }],
      }),
    }).then(async (res) => ({
      status: res.status,
      id: res.headers.get('x-flywheel-interaction-id'),
      body: await res.text(),
    }));

  const requests = Array.from({ length: IN_FLIGHT }, (_, i) => chat(i, i % 8 === 0));
  // every request has reached the upstream (which answers after 1.5 s), then stop as Kubernetes would
  await expectEventually(
    async () => {
      const stats = (await (await fetch(`${flywheel.simUrl}/_sim/stats`)).json()) as {
        byModel: Record<string, number>;
      };
      expect(stats.byModel['sim-slow-1500']).toBe(IN_FLIGHT);
    },
    { timeoutMs: 10_000, intervalMs: 20 },
  );
  const signalledAt = Date.now();
  const exited = flywheel.stop('SIGTERM');

  const results = await Promise.all(requests);
  const code = await exited;
  const elapsed = Date.now() - signalledAt;

  expect(results.map((r) => r.status)).toEqual(results.map(() => 200));
  for (const r of results.filter((_, i) => i % 8 === 0)) {
    expect(r.body.trimEnd().endsWith('data: [DONE]')).toBe(true);
  }
  expect(code).toBe(0);
  expect(elapsed).toBeLessThan(30_000);

  const spool = await Spool.open({ dir: join(dataDir, 'spool', 'all-in-one') });
  try {
    expect(spool.depth).toBe(0);
  } finally {
    await spool.close();
  }
  const ids = new Set(results.map((r) => r.id as string));
  expect(ids.size).toBe(IN_FLIGHT);
  expect((await interactionEvents(ids)).size).toBe(IN_FLIGHT);
}, 120_000);
