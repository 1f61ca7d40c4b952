import { expectEventually } from '@flywheel/platform/testing';
import { API_KEY, post, startGateway, type TestGateway } from './gateway-test-kit';

/** Load shedding: while the event loop is late, new requests get a fast 503 instead of a queue. */

let gw: TestGateway;
let chatUrl: string;

beforeAll(async () => {
  gw = await startGateway({}, { GATEWAY_MAX_EVENT_LOOP_DELAY_MS: '50' });
  chatUrl = `${gw.url}/v1/chat/completions`;
});

afterAll(async () => {
  await gw?.close();
});

const chat = () =>
  post(chatUrl, { model: 'route:chat', messages: [{ role: 'user', content: 'Hi' }], user: 'u-load' });

/** Keeps this process's event loop (the gateway's) busy, as a flood of requests would. */
function blockEventLoop(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // busy
  }
}

it('answers 503 overloaded with Retry-After while the event loop is late, keeps probes up, and recovers', async () => {
  // booting the gateway kept the loop busy too: start from a punctual loop
  await expectEventually(async () => expect((await chat()).status).toBe(200), { timeoutMs: 5_000 });

  blockEventLoop(1_000);
  await new Promise((resolve) => setTimeout(resolve, 20)); // the pressure sample runs
  const shed = await chat();
  expect(shed.status).toBe(503);
  expect(shed.headers.get('retry-after')).toBe('1');
  expect(((await shed.json()) as { error: { type: string } }).error.type).toBe('overloaded');
  const health = await fetch(`${gw.url}/healthz`);
  expect(health.status).toBe(200);

  // the next samples see a punctual loop again
  await expectEventually(async () => expect((await chat()).status).toBe(200), { timeoutMs: 5_000 });
  const metrics = await (
    await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${API_KEY}` } })
  ).text();
  expect(metrics).toMatch(/flywheel_gateway_shed_total\{reason="eventLoopDelay"\} [1-9]/);
});
