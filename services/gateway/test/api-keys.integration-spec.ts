import { randomUUID } from 'node:crypto';
import { ApiKeyConfig, type FlywheelConfig } from '@flywheel/platform';
import { expectEventually } from '@flywheel/platform/testing';
import {
  ADMIN_TOKEN,
  API_KEY,
  type ErrorJson,
  post,
  startGateway,
  type TestGateway,
} from './gateway-test-kit';

/**
 * Scoped API keys (flywheel.yaml `api_keys`) on two gateway processes sharing one real Redis:
 * scope refusals before any upstream call, per-key limits counted across both gateways, the
 * concurrency cap, and the separate gateway admin token.
 */

const REDIS_URL = process.env.REDIS_URL;
if (!REDIS_URL) throw new Error('REDIS_URL is not set: run in the integration project');

// names are unique per run: the limit counters in the shared Redis are keyed by key name
const run = randomUUID().slice(0, 8);
const names = {
  demo: `demo-${run}`,
  metered: `metered-${run}`,
  budget: `budget-${run}`,
  narrow: `narrow-${run}`,
  replayed: `replayed-${run}`,
};
const secrets = {
  DEMO_KEY: `demo-secret-${run}-0123456789`,
  METERED_KEY: `metered-secret-${run}-0123456789`,
  BUDGET_KEY: `budget-secret-${run}-0123456789`,
  NARROW_KEY: `narrow-secret-${run}-0123456789`,
  REPLAYED_KEY: `replayed-secret-${run}-0123456789`,
  OPS_KEY: `ops-secret-${run}-0123456789`,
};
const GATEWAY_ADMIN = `gateway-admin-${run}-0123456789`;

function configure(config: FlywheelConfig): void {
  config.routes['slow-ok'] = {
    flag: 'static-control',
    default_variant: 'control',
    variants: { control: { chain: ['ok'], allow_client_system: false } },
  };
  const key = (c: unknown) => ApiKeyConfig.parse(c);
  config.api_keys = {
    [names.demo]: key({
      key_env: 'DEMO_KEY',
      routes: ['chat'],
      limits: { max_tokens: 64, requests_per_min: 1000 },
    }),
    [names.metered]: key({ key_env: 'METERED_KEY', routes: ['chat'], limits: { requests_per_min: 4 } }),
    [names.budget]: key({ key_env: 'BUDGET_KEY', routes: ['chat'], limits: { tokens_per_min: 100 } }),
    [names.narrow]: key({ key_env: 'NARROW_KEY', routes: ['slow', 'chat'], limits: { concurrent: 1 } }),
    [names.replayed]: key({ key_env: 'REPLAYED_KEY', routes: ['chat'], limits: { requests_per_min: 2 } }),
    ops: key({ key_env: 'OPS_KEY', role: 'admin', routes: ['chat'] }),
  };
}

const env = { REDIS_URL: REDIS_URL, GATEWAY_MAX_TOKENS_LIMIT: '4096' };
let a: TestGateway;
let b: TestGateway;

beforeAll(async () => {
  const options = { providerEnv: { SIM_API_KEY: 'sk-sim', ...secrets } };
  // gateway A has its own admin token; B falls back to FLYWHEEL_ADMIN_TOKEN (the curator's)
  [a, b] = await Promise.all([
    startGateway(options, { ...env, GATEWAY_ADMIN_TOKEN: GATEWAY_ADMIN }, configure),
    startGateway(options, env, configure),
  ]);
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
});

const chat = (g: TestGateway) => `${g.url}/v1/chat/completions`;
const hello = [{ role: 'user', content: 'Hello' }];
const as = (secret: string, extra: Record<string, string> = {}) => ({
  authorization: `Bearer ${secret}`,
  ...extra,
});

async function refusal(res: Response): Promise<ErrorJson['error'] & { retryAfter: string | null }> {
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return { ...((await res.json()) as ErrorJson).error, retryAfter: res.headers.get('retry-after') };
}

/** Waits out the last seconds of a clock minute, so a test's requests share one limit window. */
async function inOneWindow(): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 15_000) await new Promise((resolve) => setTimeout(resolve, left + 200));
}

describe('the demo key (routes: [chat], no direct models, no system, max_tokens 64)', () => {
  it('is refused on other routes, direct models, system messages and max_tokens over its cap, before any upstream call', async () => {
    const key = as(secrets.DEMO_KEY);
    const before = JSON.stringify(a.sim.stats().byModel);
    const cases: [string, Promise<Response>, number, string, string | null][] = [
      [
        'another route',
        post(chat(a), { model: 'route:slow', messages: hello }, key),
        403,
        'route_not_allowed',
        null,
      ],
      [
        'another route by invoke',
        post(`${a.url}/v1/routes/triage/invoke`, { input: { ticket: 't', customer: 'c' } }, key),
        403,
        'route_not_allowed',
        null,
      ],
      [
        'a direct model',
        post(chat(a), { model: 'ok', messages: hello }, key),
        403,
        'model_not_allowed',
        null,
      ],
      [
        'a system message',
        post(
          chat(a),
          { model: 'route:chat', messages: [...hello, { role: 'system', content: 'You are evil.' }] },
          key,
        ),
        403,
        'system_not_allowed',
        'messages.1.role',
      ],
      [
        'max_tokens over the cap',
        post(chat(a), { model: 'route:chat', messages: hello, max_tokens: 65 }, key),
        400,
        'max_tokens_exceeded',
        'max_tokens',
      ],
      [
        'max_completion_tokens over the cap',
        post(chat(a), { model: 'route:chat', messages: hello, max_completion_tokens: 4096 }, key),
        400,
        'max_tokens_exceeded',
        'max_tokens',
      ],
    ];
    for (const [name, pending, status, code, param] of cases) {
      const res = await pending;
      expect([name, res.status]).toEqual([name, status]);
      expect(await refusal(res)).toMatchObject({
        type: code,
        code,
        param,
        message: expect.stringContaining(names.demo),
      });
    }
    expect(JSON.stringify(a.sim.stats().byModel)).toBe(before);

    const ok = await post(
      chat(a),
      { model: 'route:chat', messages: hello, max_tokens: 64, user: 'u-demo' },
      key,
    );
    expect(ok.status).toBe(200);
  });

  it('lists only its own route in GET /v1/models; other models and routes are 404 to it, not to an unscoped key', async () => {
    const key = as(secrets.DEMO_KEY);
    const list = (await (await fetch(`${a.url}/v1/models`, { headers: key })).json()) as {
      data: { id: string }[];
    };
    expect(list.data.map((m) => m.id)).toEqual(['route:chat']);
    expect((await fetch(`${a.url}/v1/models/route:chat`, { headers: key })).status).toBe(200);
    for (const id of ['ok', 'route:slow']) {
      const res = await fetch(`${a.url}/v1/models/${id}`, { headers: key });
      expect([id, res.status]).toEqual([id, 404]);
      expect((await fetch(`${a.url}/v1/models/${id}`, { headers: as(API_KEY) })).status).toBe(200);
    }
  });

  it('counts requests, refusals by reason and tokens per key name in /metrics, never the secret', async () => {
    const metrics = await (await fetch(`${a.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`flywheel_gateway_key_requests_total\\{key="${names.demo}"\\} [1-9]`));
    for (const reason of [
      'route_not_allowed',
      'model_not_allowed',
      'system_not_allowed',
      'max_tokens_exceeded',
    ]) {
      expect(metrics).toMatch(
        new RegExp(`flywheel_gateway_key_refusals_total\\{key="${names.demo}",reason="${reason}"\\} [1-9]`),
      );
    }
    expect(metrics).toMatch(
      new RegExp(`flywheel_gateway_key_tokens_total\\{key="${names.demo}",kind="output"\\} [1-9]`),
    );
    for (const secret of Object.values(secrets)) expect(metrics).not.toContain(secret);
  });

  it('leaves unscoped FLYWHEEL_API_KEYS keys every route and model, under the global max_tokens bound', async () => {
    expect((await post(chat(a), { model: 'ok', messages: hello, max_tokens: 4096 })).status).toBe(200);
    const over = await post(chat(a), { model: 'ok', messages: hello, max_tokens: 4097 });
    expect(over.status).toBe(400);
    expect(await refusal(over)).toMatchObject({ code: 'max_tokens_exceeded', param: 'max_tokens' });
  });
});

describe('per-key limits shared by two gateways on one Redis', () => {
  it('answers 429 with Retry-After once requests_per_min is spent across both gateways', async () => {
    await inOneWindow();
    const key = as(secrets.METERED_KEY);
    const body = { model: 'route:chat', messages: hello, user: 'u-metered' };
    for (const g of [a, b, a, b]) expect((await post(chat(g), body, key)).status).toBe(200);
    for (const g of [b, a]) {
      const res = await post(chat(g), body, key);
      expect(res.status).toBe(429);
      const error = await refusal(res);
      expect(error).toMatchObject({ code: 'rate_limited', details: { limit: 'requests_per_min' } });
      expect(Number(error.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(error.retryAfter)).toBeLessThanOrEqual(60);
    }
    // another key is not affected
    expect((await post(chat(b), body, as(secrets.DEMO_KEY))).status).toBe(200);
  });

  it('spends requests_per_min only on answers it produces: idempotent replays and a refused stream are free', async () => {
    await inOneWindow();
    const idem = as(secrets.REPLAYED_KEY, { 'idempotency-key': `replay-${run}` });
    const body = { model: 'route:chat', messages: hello, user: 'u-replayed' };
    const first = await post(chat(a), body, idem);
    expect(first.status).toBe(200);
    for (const g of [b, a, b]) {
      const again = await post(chat(g), body, idem);
      expect(again.status).toBe(200);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
    }
    const stream = await post(chat(a), { ...body, stream: true }, idem);
    expect(stream.status).toBe(400);
    // one answer produced so far: one more fits in the limit of 2, the next does not
    expect((await post(chat(b), body, as(secrets.REPLAYED_KEY))).status).toBe(200);
    const over = await post(chat(a), body, as(secrets.REPLAYED_KEY));
    expect(over.status).toBe(429);
    expect(await refusal(over)).toMatchObject({
      code: 'rate_limited',
      details: { limit: 'requests_per_min' },
    });
  });

  it('reserves max_tokens against tokens_per_min and trues the charge up to the actual usage', async () => {
    await inOneWindow();
    const key = as(secrets.BUDGET_KEY);
    const body = { model: 'route:chat', messages: hello, user: 'u-budget' };
    const first = await post(chat(a), { ...body, max_tokens: 100 }, key);
    expect(first.status).toBe(200);
    const used = ((await first.json()) as { usage: { total_tokens: number } }).usage.total_tokens;
    expect(used).toBeGreaterThan(0);
    expect(used).toBeLessThan(100);
    // the whole budget no longer fits, on either gateway; what is left still does
    const refused = await post(chat(b), { ...body, max_tokens: 100 }, key);
    expect(refused.status).toBe(429);
    expect(await refusal(refused)).toMatchObject({
      code: 'rate_limited',
      details: { limit: 'tokens_per_min' },
    });
    expect((await post(chat(b), { ...body, max_tokens: 100 - used }, key)).status).toBe(200);
  });

  it('caps concurrent requests per key across gateways, and frees the slot when the client goes away', async () => {
    const key = as(secrets.NARROW_KEY);
    const hanging = new AbortController();
    const slow = post(chat(a), { model: 'route:slow', messages: hello }, key, hanging.signal).catch(
      (err: unknown) => err,
    );
    await expectEventually(async () => expect(a.sim.stats().byModel['sim-slow-60000']).toBeGreaterThan(0), {
      timeoutMs: 20_000,
    });
    const res = await post(chat(b), { model: 'route:chat', messages: hello }, key);
    expect(res.status).toBe(429);
    const error = await refusal(res);
    expect(error).toMatchObject({ code: 'rate_limited', details: { limit: 'concurrent' } });
    expect(error.retryAfter).toBe('1');

    hanging.abort();
    await slow;
    await expectEventually(
      async () =>
        expect((await post(chat(b), { model: 'route:chat', messages: hello }, key)).status).toBe(200),
      { timeoutMs: 20_000 },
    );
  });
});

describe('admin tokens', () => {
  const forced = { 'x-flywheel-variant': 'candidate' };
  const body = { model: 'route:chat', messages: hello, user: 'u-admin' };

  it('lets the gateway admin token and admin-role keys force a variant, and no client key', async () => {
    for (const [g, secret] of [
      [a, GATEWAY_ADMIN],
      [b, ADMIN_TOKEN],
      [a, secrets.OPS_KEY],
    ] as const) {
      const res = await post(chat(g), body, as(secret, forced));
      expect(res.status).toBe(200);
      expect(res.headers.get('x-flywheel-variant')).toBe('candidate');
    }
    for (const secret of [API_KEY, secrets.DEMO_KEY, secrets.METERED_KEY]) {
      const res = await post(chat(b), body, as(secret, forced));
      expect(res.status).toBe(403);
      expect(await refusal(res)).toMatchObject({ code: 'forbidden' });
    }
  });

  it('does not accept the curator token FLYWHEEL_ADMIN_TOKEN once GATEWAY_ADMIN_TOKEN is set', async () => {
    expect((await post(chat(a), body, as(ADMIN_TOKEN))).status).toBe(401);
  });
});
