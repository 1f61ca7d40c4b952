import { Agent, request } from 'node:http';
import { createEventBus, type EventBus } from '@flywheel/platform';
import { expectEventually } from '@flywheel/platform/testing';
import { API_KEY, post, startGateway, type TestGateway } from './gateway-test-kit';

/**
 * Rollouts through HTTP: the `chat` route's flag splits users 90/10 (control/candidate) by a
 * sticky hash of the user; the split is read back from the x-flywheel-variant header.
 *
 * 10,000 users through the whole gateway, each a real upstream call: the acceptance
 * bar is a 10 % split within ±1.5 points over 10,000 targeting keys. Their interaction events
 * go to an embedded bus: on the shared Kafka topics they would flood the curator suites that
 * run alongside (the other gateway suites check events on Kafka).
 */

const USERS = 10_000;
const CONCURRENCY = 32;

let gw: TestGateway;
let bus: EventBus;
let chatUrl: string;
// plain node:http with keep-alive: far cheaper per request than fetch, for the bulk runs
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

beforeAll(async () => {
  bus = await createEventBus({ source: 'rollout-test' });
  gw = await startGateway({ bus });
  chatUrl = `${gw.url}/v1/chat/completions`;
});

afterAll(async () => {
  agent.destroy();
  await gw?.close();
  await bus?.close();
});

/** POSTs one chat request for `user`; resolves with the status and the variant header. */
function ask(user: string): Promise<{ status: number; variant: string | undefined }> {
  const body = JSON.stringify({ model: 'route:chat', messages: [{ role: 'user', content: 'Hi' }], user });
  return new Promise((resolve, reject) => {
    const req = request(
      chatUrl,
      {
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${API_KEY}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          const variant = res.headers['x-flywheel-variant'];
          resolve({ status: res.statusCode ?? 0, variant: Array.isArray(variant) ? variant[0] : variant });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The variant the gateway serves each user, `CONCURRENCY` requests at a time. */
async function variantsOf(users: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let next = 0;
  const worker = async () => {
    while (next < users.length) {
      const user = users[next++] as string;
      const { status, variant } = await ask(user);
      expect(status).toBe(200);
      out.set(user, variant as string);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return out;
}

const share = (variants: Map<string, string>, variant: string) =>
  [...variants.values()].filter((v) => v === variant).length / variants.size;

const users = Array.from({ length: USERS }, (_, i) => `rollout-user-${i}`);
let first: Map<string, string>;

it(`splits ${USERS} distinct users 90/10 through the gateway, within ±1.5 points`, async () => {
  first = await variantsOf(users);
  expect(first.size).toBe(USERS);
  expect(new Set(first.values())).toEqual(new Set(['control', 'candidate']));
  // binomial(10,000, 0.1): σ = 0.3 points, so ±1.5 points is 5 σ
  expect(share(first, 'candidate')).toBeGreaterThanOrEqual(0.085);
  expect(share(first, 'candidate')).toBeLessThanOrEqual(0.115);
}, 240_000);

it('gives the same user the same variant on every request', async () => {
  const sample = users.slice(0, 300);
  const again = await variantsOf([...sample, ...sample, ...sample]);
  for (const user of sample) expect(again.get(user)).toBe(first.get(user));
  // and with another key and another app header: stickiness is by user alone
  for (const user of sample.slice(0, 50)) {
    const res = await post(
      chatUrl,
      { model: 'route:chat', messages: [{ role: 'user', content: 'Other question' }], user },
      { 'x-flywheel-app': 'another-app' },
    );
    expect(res.headers.get('x-flywheel-variant')).toBe(first.get(user));
  }
});

it('applies an edited flags file within 2 s, without a restart; raising the candidate share only adds users', async () => {
  const flags = gw.readFlags();
  const chat = flags.flags.chat as { targeting: { fractional: [string, number][] } };
  chat.targeting.fractional = [
    ['control', 50],
    ['candidate', 50],
  ];
  // 40 of every 90 control users move to candidate at 50/50; among 25 of them, at least one
  // does unless the new split is not in force (chance that none does: 0.56^25 ≈ 5e-7)
  const probe = users.filter((u) => first.get(u) === 'control').slice(0, 25);
  const editedAt = Date.now();
  gw.writeFlags(flags);
  await expectEventually(
    async () => {
      const now = await variantsOf(probe);
      expect([...now.values()]).toContain('candidate');
    },
    { timeoutMs: 2_000, intervalMs: 20 },
  );
  expect(Date.now() - editedAt).toBeLessThan(2_000);

  const sample = users.slice(0, 400);
  const after = await variantsOf(sample);
  // binomial(400, 0.5): σ = 2.5 %
  expect(share(after, 'candidate')).toBeGreaterThan(0.4);
  expect(share(after, 'candidate')).toBeLessThan(0.6);
  for (const user of sample) {
    if (first.get(user) === 'candidate') expect(after.get(user)).toBe('candidate');
  }
});
