import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RolloutState } from '@flywheel/contracts';
import {
  createEventBus,
  type EventBus,
  RolloutPlanConfig,
  type RolloutsConfig,
  RouteConfig,
} from '@flywheel/platform';
import { FlagSyncClient } from '@flywheel/platform/flag-sync';
import { expectEventually } from '@flywheel/platform/testing';
import { credentials } from '@grpc/grpc-js';
import { FlagdProvider } from '@openfeature/flagd-provider';
import { type Client, OpenFeature } from '@openfeature/server-sdk';
import { createTestDatabase, type TestDatabase } from '../../../test-support/postgres';
import { type ServiceProcess, startServiceProcess } from '../../../test-support/service-process';
import { createSimServer, type SimServer } from '../../upstream-sim/src';
import { parseRolloutsEnv } from '../src/env';
import { createRolloutsApp, type RolloutsApp } from '../src/rollouts-app';
import { type TrafficEvent, publishTraffic, suffix, traffic } from './traffic-kit';

/**
 * The controller is the single source of truth for the split of planned routes: on real Kafka
 * and Postgres, two gateway processes (`flywheel start --only gateway`, FLAGS_SYNC_ADDRESS at the
 * controller's flag sync port) serve what it decides within 5 s of the decision — a halt sends
 * everyone to control; an advance keeps every user who had the candidate on it — flagd's own
 * in-process provider reads the same flags, and a restarted controller serves the same state and
 * flags while the gateways keep serving through the restart and reconnect.
 */

const ADMIN = `rollouts-admin-${randomUUID()}`;
const API_KEY = `flag-sync-key-${randomUUID()}`;
const SECRET = `flag-sync-secret-${randomUUID()}`;
const WINDOW_MS = 5_000;

const routes = { halt: `fs-halt-${suffix()}`, sticky: `fs-sticky-${suffix()}` };
const flagOf = (route: string) => `${route}-flag`;
const plan = (steps: number[]) =>
  RolloutPlanConfig.parse({
    control: 'control',
    candidate: 'candidate',
    steps,
    // never advances by itself: the test advances by hand
    min_per_step: { interactions: 1_000_000, votes: 0, seconds: 0 },
    guardrails: { dislike_rate: { max_increase: 0.02 } },
    alpha: 0.05,
  });
const plans: RolloutsConfig = { [routes.halt]: plan([50, 100]), [routes.sticky]: plan([10, 50, 100]) };

let dir: string;
let db: TestDatabase;
let publisher: EventBus;
let sim: SimServer;
let app: RolloutsApp;
let syncPort = 0;
let flagd: FlagdProvider;
let flagdClient: Client;
const gateways: ServiceProcess[] = [];

async function startController(): Promise<RolloutsApp> {
  const env = parseRolloutsEnv({
    KAFKA_BROKERS: process.env.KAFKA_BROKERS,
    DATABASE_URL: db.url,
    FLYWHEEL_ADMIN_TOKEN: ADMIN,
    ROLLOUTS_PORT: '0',
    ROLLOUTS_HOST: '127.0.0.1',
    // the same port after a restart, so the gateways find it again
    ROLLOUTS_SYNC_PORT: String(syncPort),
    FLAGS_FILE: join(dir, 'flags.json'),
    ROLLOUTS_SPOOL_DIR: join(dir, `spool-${suffix()}`),
    ROLLOUTS_GROUP_ID: `flag-sync-test-${suffix()}`,
    ROLLOUTS_DECIDE_INTERVAL_MS: '500',
  });
  const variant = { chain: ['ok', 'also-ok'] };
  const routeFlags = Object.fromEntries(
    Object.keys(plans).map((r) => [
      r,
      RouteConfig.parse({
        flag: flagOf(r),
        default_variant: 'control',
        variants: { control: variant, candidate: variant },
      }) as RouteConfig,
    ]),
  );
  const started = await createRolloutsApp({ env, config: { rollouts: plans, routes: routeFlags } });
  syncPort = started.syncPort;
  return started;
}

/** A gateway in its own process, evaluating the controller's flags. */
function startGateway(name: string): Promise<ServiceProcess> {
  return startServiceProcess('gateway', {
    GATEWAY_PORT: '0',
    GATEWAY_HOST: '127.0.0.1',
    FLYWHEEL_API_KEYS: API_KEY,
    FLYWHEEL_ADMIN_TOKEN: ADMIN,
    FLYWHEEL_FEEDBACK_SECRET: SECRET,
    FLYWHEEL_CONFIG: join(dir, 'flywheel.yaml'),
    // hand-written flags only: the planned routes' flags come from the controller alone
    FLAGS_FILE: join(dir, 'gateway-flags.json'),
    FLAGS_SYNC_ADDRESS: `127.0.0.1:${syncPort}`,
    KAFKA_BROKERS: process.env.KAFKA_BROKERS,
    GATEWAY_SPOOL_DIR: join(dir, `spool-${name}`),
    SIM_API_KEY: 'sk-sim',
  });
}

/**
 * The variant a gateway answers each user with (the x-flywheel-variant header of a real answer),
 * 8 requests at a time: a loaded machine must not turn the probe itself into upstream timeouts.
 */
async function servedBy(url: string, route: string, users: string[]): Promise<string[]> {
  const variants: string[] = [];
  for (let i = 0; i < users.length; i += 8) {
    const batch = users.slice(i, i + 8).map(async (user) => {
      const res = await fetch(`${url}/v1/routes/${route}/invoke`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${API_KEY}`,
          'content-type': 'application/json',
          'x-flywheel-user': user,
        },
        body: JSON.stringify({ messages: [{ role: 'user', content: 'hello' }] }),
      });
      const body = await res.text();
      if (res.status !== 200) throw new Error(`gateway answered ${res.status}: ${body.slice(0, 500)}`);
      return res.headers.get('x-flywheel-variant') ?? 'none';
    });
    variants.push(...(await Promise.all(batch)));
  }
  return variants;
}

/** The variant flagd's own in-process provider, reading the controller's sync port, gives each user. */
async function flagdVariants(route: string, users: string[]): Promise<string[]> {
  return Promise.all(
    users.map((targetingKey) => flagdClient.getStringValue(flagOf(route), 'none', { targetingKey })),
  );
}

async function api<T>(path: string, method = 'GET'): Promise<{ status: number; body: T }> {
  const res = await fetch(`${app.url}${path}`, { method, headers: { authorization: `Bearer ${ADMIN}` } });
  return { status: res.status, body: (await res.json()) as T };
}

/** The configuration the controller serves, as FetchAllFlags answers it. */
async function fetchAllFlags(): Promise<string> {
  const client = new FlagSyncClient(`127.0.0.1:${syncPort}`, credentials.createInsecure());
  try {
    return await new Promise<string>((done, fail) =>
      client.fetchAllFlags({ providerId: 'test', selector: '' }, (err, res) =>
        err ? fail(err) : done(res!.flagConfiguration),
      ),
    );
  } finally {
    client.close();
  }
}

const users = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
const pick = (keys: string[], variants: string[], variant: string) =>
  keys.filter((_, i) => variants[i] === variant);

/** Where each rollout stands and its decision log (the counts may still grow with late evidence). */
async function positions() {
  const { body } = await api<{ rollouts: RolloutState[] }>('/v1/rollouts');
  return body.rollouts
    .sort((a, b) => (a.route < b.route ? -1 : 1))
    .map(({ route, status, reason, step_index, percent, decisions }) => ({
      route,
      status,
      reason,
      step_index,
      percent,
      decisions,
    }));
}

/** Milliseconds left of the 5 s window that began with the route's newest decision. */
function windowLeft(state: RolloutState): number {
  return Math.max(0, Date.parse(state.decisions[0]!.at) + WINDOW_MS - Date.now());
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flag-sync-test-'));
  const handWritten = {
    state: 'ENABLED',
    variants: { control: 'control' },
    defaultVariant: 'control',
  };
  // the controller's FLAGS_FILE: a hand-written flag, and a stale 90/10 split of the planned route
  writeFileSync(
    join(dir, 'flags.json'),
    JSON.stringify({
      flags: {
        'hand-written': handWritten,
        [flagOf(routes.halt)]: {
          ...handWritten,
          variants: { control: 'control', candidate: 'candidate' },
          targeting: {
            fractional: [
              ['control', 90],
              ['candidate', 10],
            ],
          },
        },
      },
    }),
  );
  writeFileSync(join(dir, 'gateway-flags.json'), JSON.stringify({ flags: { 'hand-written': handWritten } }));
  [db, sim] = await Promise.all([createTestDatabase('flagsync'), createSimServer()]);
  writeFileSync(
    join(dir, 'flywheel.yaml'),
    [
      'providers:',
      `  sim: { kind: openai, base_url: '${sim.url}/v1', api_key_env: SIM_API_KEY, timeout_ms: 30000 }`,
      'models:',
      '  ok: { provider: sim, model: sim-ok }',
      '  also-ok: { provider: sim, model: sim-ok }',
      'routes:',
      ...Object.values(routes).flatMap((route) => [
        `  ${route}:`,
        `    flag: ${flagOf(route)}`,
        '    default_variant: control',
        '    variants:',
        '      control: { chain: [ok, also-ok] }',
        '      candidate: { chain: [ok, also-ok] }',
      ]),
      '',
    ].join('\n'),
  );
  publisher = await createEventBus({
    source: 'flag-sync-test',
    brokers: process.env.KAFKA_BROKERS,
    spoolDir: join(dir, 'spool-publisher'),
  });
  app = await startController();
  gateways.push(...(await Promise.all([startGateway('a'), startGateway('b')])));
  flagd = new FlagdProvider(
    { resolverType: 'in-process', host: '127.0.0.1', port: syncPort, deadlineMs: 10_000 },
    { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined },
  );
  await OpenFeature.setProviderAndWait('flag-sync-test', flagd);
  flagdClient = OpenFeature.getClient('flag-sync-test');
}, 300_000);

afterAll(async () => {
  await OpenFeature.clearProviders().catch(() => undefined);
  for (const { process: child } of gateways) if (child.exitCode === null) child.kill('SIGKILL');
  await app?.close();
  await publisher?.close();
  await sim?.close();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

jest.setTimeout(300_000);

describe('flags driven by the rollout controller', () => {
  it('serves the hand-written flags and each planned route at its rollout percent (pending: 0 %)', async () => {
    const served = JSON.parse(await fetchAllFlags()) as { flags: Record<string, { targeting?: unknown }> };
    expect(Object.keys(served.flags).sort()).toEqual(
      ['hand-written', flagOf(routes.halt), flagOf(routes.sticky)].sort(),
    );
    // the stale 90/10 of the file is replaced by the controller's pending 0 %
    const keys = users(100, 'pending');
    for (const { url } of gateways)
      expect(new Set(await servedBy(url, routes.halt, keys))).toEqual(new Set(['control']));
    expect(new Set(await flagdVariants(routes.halt, keys))).toEqual(new Set(['control']));
  });

  it('halts a candidate with twice the dislike rate, and both gateways serve 0 % candidate within 5 s', async () => {
    const route = routes.halt;
    expect(await api<RolloutState>(`/v1/rollouts/${route}/start`, 'POST')).toMatchObject({
      status: 200,
      body: { status: 'running', percent: 50 },
    });
    const keys = users(60, 'halt');
    // both gateways apply the 50 % split (within 5 s of the start) and agree user by user
    const [a, b] = await expectEventually(
      async () => {
        const seen = await Promise.all(gateways.map(({ url }) => servedBy(url, route, keys)));
        expect(seen[1]).toEqual(seen[0]);
        expect(pick(keys, seen[0]!, 'candidate').length).toBeGreaterThan(15);
        return seen;
      },
      { timeoutMs: WINDOW_MS },
    );
    expect(a).toEqual(b);
    const onCandidate = pick(keys, a!, 'candidate');

    // 10 % vs 20 % dislikes at the 50/50 split, in rounds until the sequential test halts it
    let state = (await api<RolloutState>(`/v1/rollouts/${route}`)).body;
    for (let round = 0; round < 10 && state.status !== 'halted'; round++) {
      const batch: TrafficEvent[] = [
        ...traffic(route, 'control', 100, 100, 10),
        ...traffic(route, 'candidate', 100, 100, 20),
      ];
      await publishTraffic(publisher, batch);
      state = await expectEventually(
        async () => {
          const { body } = await api<RolloutState>(`/v1/rollouts/${route}`);
          expect(
            body.variants.candidate!.votes_up + body.variants.candidate!.votes_down,
          ).toBeGreaterThanOrEqual(100 * (round + 1));
          return body;
        },
        { timeoutMs: 60_000, intervalMs: 100 },
      );
    }
    expect(state).toMatchObject({ status: 'halted', percent: 0 });
    expect(state.decisions[0]).toMatchObject({ kind: 'halt', from_percent: 50, to_percent: 0 });
    expect(state.reason).toContain('dislike_rate');

    await expectEventually(
      async () => {
        for (const { url } of gateways)
          expect(new Set(await servedBy(url, route, onCandidate))).toEqual(new Set(['control']));
      },
      { timeoutMs: windowLeft(state), intervalMs: 100 },
    );
    expect(new Set(await flagdVariants(route, keys))).toEqual(new Set(['control']));
  });

  it('keeps every user on the candidate as it advances (sticky), in both gateways and in flagd', async () => {
    const route = routes.sticky;
    const started = (await api<RolloutState>(`/v1/rollouts/${route}/start`, 'POST')).body;
    expect(started).toMatchObject({ status: 'running', percent: 10 });
    const many = users(4_000, 'sticky');
    const at10 = await expectEventually(
      async () => {
        const v = await flagdVariants(route, many);
        expect(pick(many, v, 'candidate').length).toBeGreaterThan(300);
        return v;
      },
      { timeoutMs: windowLeft(started) },
    );
    const candidates10 = pick(many, at10, 'candidate');
    expect(candidates10.length).toBeLessThan(500);
    // what the gateways serve is what flagd evaluates, user by user; the sample is not picked by
    // variant, so the controller sees the split the flag gives (no sample-ratio mismatch). 240
    // users: the flag's buckets move with the route's random name, and at 10 % a sample of 120
    // held fewer than 4 candidates about once in 630 runs (it did, once); of 240, about once in 27 million
    const SAMPLE = 240;
    const sample = many.slice(0, SAMPLE);
    const sampleAt10 = at10.slice(0, SAMPLE);
    expect(pick(sample, sampleAt10, 'candidate').length).toBeGreaterThanOrEqual(4);
    for (const { url } of gateways) expect(await servedBy(url, route, sample)).toEqual(sampleAt10);

    const advanced = await api<RolloutState>(`/v1/rollouts/${route}/advance`, 'POST');
    expect(advanced).toMatchObject({ status: 200, body: { percent: 50 } });
    const at50 = await expectEventually(
      async () => {
        const v = await flagdVariants(route, many);
        expect(pick(many, v, 'candidate').length).toBeGreaterThan(1_800);
        return v;
      },
      { timeoutMs: windowLeft(advanced.body) },
    );
    const candidates50 = new Set(pick(many, at50, 'candidate'));
    expect(candidates50.size).toBeLessThan(2_200);
    // nobody who had the candidate at 10 % lost it at 50 %
    expect(candidates10.filter((u) => !candidates50.has(u))).toEqual([]);
    await expectEventually(
      async () => {
        for (const { url } of gateways) {
          const now = await servedBy(url, route, sample);
          expect(now).toEqual(at50.slice(0, SAMPLE));
          expect(sample.filter((_, i) => sampleAt10[i] === 'candidate' && now[i] !== 'candidate')).toEqual(
            [],
          );
        }
      },
      { timeoutMs: windowLeft(advanced.body) },
    );
  });

  it('serves the same state and flags after a controller restart; the gateways serve throughout and reconnect', async () => {
    await OpenFeature.clearProviders(); // flagd's provider is done (its reconnect loop is not under test)
    // paused, nothing but an admin changes it: late probe events (counted in the new step) could
    // otherwise hold it on a sample-ratio mismatch while the controller is restarting
    expect(await api<RolloutState>(`/v1/rollouts/${routes.sticky}/pause`, 'POST')).toMatchObject({
      status: 200,
      body: { status: 'paused', percent: 50 },
    });
    const before = { state: await positions(), flags: await fetchAllFlags() };
    const sample = users(40, 'restart');
    const served = await Promise.all(gateways.map(({ url }) => servedBy(url, routes.sticky, sample)));
    await app.close();

    // the controller is down: the gateways keep its last flags and /readyz says so (still ready)
    for (const [i, { url }] of gateways.entries()) {
      expect(await servedBy(url, routes.sticky, sample)).toEqual(served[i]);
      await expectEventually(async () => {
        const res = await fetch(`${url}/readyz`, { headers: { authorization: `Bearer ${ADMIN}` } });
        const body = (await res.json()) as { status: string; checks: Record<string, string> };
        expect(res.status).toBe(200);
        expect(body.checks.flags_sync).toMatch(/unreachable .*serving the last flags it sent; reconnecting/);
      });
    }

    app = await startController();
    const after = { state: await positions(), flags: await fetchAllFlags() };
    expect(after.flags).toEqual(before.flags);
    expect(after.state).toEqual(before.state);
    expect(before.state.map((r) => [r.status, r.percent])).toEqual([
      ['halted', 0],
      ['paused', 50],
    ]);

    // reconnected: a decision after the restart reaches both gateways within 5 s
    const rolledBack = await api<RolloutState>(`/v1/rollouts/${routes.sticky}/rollback`, 'POST');
    expect(rolledBack).toMatchObject({ status: 200, body: { status: 'halted', percent: 0 } });
    const candidates = sample.filter((_, i) => served[0]![i] === 'candidate');
    expect(candidates.length).toBeGreaterThan(5);
    await expectEventually(
      async () => {
        for (const { url } of gateways)
          expect(new Set(await servedBy(url, routes.sticky, candidates))).toEqual(new Set(['control']));
      },
      { timeoutMs: windowLeft(rolledBack.body), intervalMs: 100 },
    );
  });
});
