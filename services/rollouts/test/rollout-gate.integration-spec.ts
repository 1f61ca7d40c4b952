import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaseList, EvalRun, RolloutState } from '@flywheel/contracts';
import { createCuratorApp, parseCuratorEnv } from '@flywheel/curator';
import { createGatewayApp, parseGatewayEnv } from '@flywheel/gateway';
import { createEventBus, type EventBus, type FlywheelConfig, parseConfig } from '@flywheel/platform';
import { expectEventually } from '@flywheel/platform/testing';
import { createSimServer, type SimServer } from '@flywheel/upstream-sim';
import { createTestDatabase, type TestDatabase } from '../../../test-support/postgres';
import { parseRolloutsEnv } from '../src/env';
import { createRolloutsApp, type RolloutsApp } from '../src/rollouts-app';
import { interaction, interleave, publishTraffic, traffic, vote } from './traffic-kit';

/**
 * The regression gate end to end, on real Kafka and Postgres: the upstream simulator, the real
 * gateway and curator, and the rollout controller, each with its own consumer group on one
 * Kafka. A disliked answer becomes a curator case that triage accepts; starting a rollout runs
 * the route's accepted cases through the gateway with the candidate forced, and the run is
 * stored in the curator like `flywheel eval run` stores it.
 *
 * Route `gated`: control echoes the question (sim-echo), the candidate answers canned text
 * (sim-ok), so a case expecting the echo fails on the candidate. Route `twin`: both variants
 * echo (an A/A rollout), so its case passes.
 */

const ADMIN = `gate-admin-${randomUUID()}`;
const API_KEY = `gate-key-${randomUUID()}`;
const suffix = randomBytes(4).toString('hex');
const GATED = `gated-${suffix}`;
const TWIN = `twin-${suffix}`;
const TUNED = `tuned-${suffix}`;

const config = (simUrl: string, tunedCandidate = 'echo') => `
providers:
  sim: { kind: openai, base_url: '${simUrl}/v1', api_key_env: SIM_API_KEY, timeout_ms: 5000 }
models:
  echo: { provider: sim, model: sim-echo }
  ok: { provider: sim, model: sim-ok }
routes:
  ${GATED}:
    flag: ${GATED}-flag
    default_variant: control
    variants:
      control: { chain: [echo] }
      candidate: { chain: [ok] }
  ${TWIN}:
    flag: ${TWIN}-flag
    default_variant: control
    variants:
      control: { chain: [echo] }
      candidate: { chain: [echo] }
  ${TUNED}:
    flag: ${TUNED}-flag
    default_variant: control
    variants:
      control: { chain: [echo] }
      candidate: { chain: [${tunedCandidate}] }
rollouts:
  ${GATED}:
    control: control
    candidate: candidate
    steps: [10, 50, 100]
    min_per_step: { interactions: 0, votes: 0, seconds: 0 }
    gate: { min_pass_rate: 0.9 }
  ${TWIN}:
    control: control
    candidate: candidate
    steps: [10, 50, 100]
    min_per_step: { interactions: 30, votes: 15, seconds: 0 }
    guardrails:
      dislike_rate: { max_increase: 0.02 }
      error_rate: { max_increase: 0.01 }
    gate: { min_pass_rate: 0.9 }
  ${TUNED}:
    control: control
    candidate: candidate
    steps: [10, 100]
    min_per_step: { interactions: 1000000, votes: 0, seconds: 0 }
`;

const FLAGS = {
  flags: Object.fromEntries(
    [GATED, TWIN, TUNED].map((r) => [
      `${r}-flag`,
      { state: 'ENABLED', variants: { control: 'control' }, defaultVariant: 'control' },
    ]),
  ),
};

let dir: string;
let sim: SimServer;
let bus: EventBus;
let curatorDb: TestDatabase;
let rolloutsDb: TestDatabase;
let curatorUrl: string;
let rollouts: RolloutsApp;
let gatewayUrl: string;
let simUrl: string;
const stops: (() => Promise<unknown>)[] = [];

async function call<T>(url: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const headers = {
    authorization: `Bearer ${ADMIN}`,
    ...(init.body !== undefined && { 'content-type': 'application/json' }),
  };
  const res = await fetch(url, { ...init, headers });
  return { status: res.status, body: (await res.json()) as T };
}

const rollout = async (route: string) =>
  RolloutState.parse((await call(`${rollouts.url}/v1/rollouts/${route}`)).body);
const act = (route: string, action: string) =>
  call<unknown>(`${rollouts.url}/v1/rollouts/${route}/${action}`, { method: 'POST' });

/** A disliked answer of `route` asking `question`, turned into a curator case and accepted expecting the echo. */
async function acceptedCase(route: string, question: string): Promise<string> {
  const answered = interaction(route, 'control', {
    request: { messages: [{ role: 'user', content: question }], stream: false },
    output: 'Sorry, I cannot help with that.',
  });
  await publishTraffic(bus, [
    { kind: 'i', e: answered },
    { kind: 'f', e: vote(answered, 'down', { reasons: ['incorrect'] }) },
  ]);
  const found = await expectEventually(
    async () => {
      const { body } = await call<unknown>(`${curatorUrl}/v1/cases?route=${route}&status=new`);
      const hit = CaseList.parse(body).cases.find((c) =>
        c.lineage.interaction_ids.includes(answered.interaction_id),
      );
      if (!hit) throw new Error('the curator has no case for the down vote yet');
      return hit;
    },
    { timeoutMs: 60_000, intervalMs: 200 },
  );
  const accepted = await call(`${curatorUrl}/v1/cases/${found.id}/accept`, {
    method: 'POST',
    body: JSON.stringify({ expected: question, assertions: [{ type: 'equals', value: question }] }),
  });
  expect(accepted.status).toBe(200);
  return found.id;
}

function startRollouts(config: FlywheelConfig): Promise<RolloutsApp> {
  return createRolloutsApp({
    env: parseRolloutsEnv({
      ROLLOUTS_PORT: '0',
      ROLLOUTS_SYNC_PORT: '0',
      ROLLOUTS_HOST: '127.0.0.1',
      FLYWHEEL_ADMIN_TOKEN: ADMIN,
      DATABASE_URL: rolloutsDb.url,
      FLYWHEEL_DATA_DIR: dir,
      ROLLOUTS_GROUP_ID: `gate-rollouts-${suffix}`,
      ROLLOUTS_DECIDE_INTERVAL_MS: '300',
      ROLLOUTS_GATE_RETRY_MS: '1000',
      FLYWHEEL_GATEWAY_URL: gatewayUrl,
      FLYWHEEL_CURATOR_URL: curatorUrl,
    }),
    config,
    bus,
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rollout-gate-test-'));
  stops.push(async () => rmSync(dir, { recursive: true, force: true }));
  sim = await createSimServer();
  stops.push(() => sim.close());
  const configFile = join(dir, 'flywheel.yaml');
  const text = config(sim.url);
  writeFileSync(configFile, text);
  const parsed = parseConfig(text, configFile);
  const flagsFile = join(dir, 'flags.json');
  writeFileSync(flagsFile, JSON.stringify(FLAGS));
  bus = await createEventBus({
    source: 'rollout-gate-test',
    brokers: process.env.KAFKA_BROKERS,
    spoolDir: join(dir, 'spool'),
  });
  stops.push(() => bus.close());

  const gateway = await createGatewayApp({
    config: parsed,
    bus,
    env: parseGatewayEnv({
      GATEWAY_PORT: '0',
      GATEWAY_HOST: '127.0.0.1',
      FLYWHEEL_API_KEYS: API_KEY,
      FLYWHEEL_ADMIN_TOKEN: ADMIN,
      FLYWHEEL_FEEDBACK_SECRET: `gate-feedback-secret-${randomUUID()}`,
      FLAGS_FILE: flagsFile,
      FLYWHEEL_DATA_DIR: dir,
    }),
    providerEnv: { SIM_API_KEY: 'sk-sim' },
  });
  stops.push(() => gateway.close());

  curatorDb = await createTestDatabase('gate_curator');
  stops.push(() => curatorDb.drop());
  const curator = await createCuratorApp({
    env: parseCuratorEnv({
      CURATOR_PORT: '0',
      CURATOR_HOST: '127.0.0.1',
      FLYWHEEL_ADMIN_TOKEN: ADMIN,
      DATABASE_URL: curatorDb.url,
      FLYWHEEL_DATA_DIR: dir,
      CURATOR_GROUP_ID: `gate-curator-${suffix}`,
    }),
    config: parsed,
    bus,
  });
  stops.push(() => curator.close());
  curatorUrl = curator.url;

  rolloutsDb = await createTestDatabase('gate_rollouts');
  stops.push(() => rolloutsDb.drop());
  gatewayUrl = gateway.url;
  simUrl = sim.url;
  rollouts = await startRollouts(parsed);
  stops.push(() => rollouts.close());
}, 180_000);

afterAll(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

jest.setTimeout(240_000);

describe('the regression gate of a rollout', () => {
  it('holds a candidate that fails an accepted case at its step, and advances once the case is rejected', async () => {
    expect((await rollout(GATED)).gate).toMatchObject({ status: 'none' });
    const caseId = await acceptedCase(GATED, 'Is shipping free?');

    expect((await act(GATED, 'start')).status).toBe(200);
    const held = await expectEventually(
      async () => {
        const state = await rollout(GATED);
        expect(state).toMatchObject({ status: 'holding', step_index: 0, percent: 10 });
        expect(state.gate).toMatchObject({ status: 'failed', pass_rate: 0, cases: 1 });
        expect(state.reason).toBe(
          `holding: regression gate run ${state.gate.run_id} passed 0.0 % of the route's accepted cases, needs 90.0 %`,
        );
        return state;
      },
      { timeoutMs: 60_000 },
    );
    const runId = held.gate.run_id as string;
    expect(held.decisions[0]).toMatchObject({ kind: 'hold', from_percent: 10, to_percent: 10 });

    // the gate's run is stored in the curator as `flywheel eval run` stores it
    const stored = EvalRun.parse((await call(`${curatorUrl}/v1/eval-runs/${runId}`)).body);
    expect(stored).toMatchObject({ route: GATED, variant: 'candidate', gate: 'fail', min_pass_rate: 0.9 });
    expect(stored.results).toEqual([
      expect.objectContaining({
        case_id: caseId,
        outcome: 'fail',
        output: expect.stringMatching(/^This is a simulated answer from sim-ok/),
      }),
    ]);

    const refused = await act(GATED, 'advance');
    expect(refused.status).toBe(409);
    expect(JSON.stringify(refused.body)).toMatch(/holding: regression gate run [-0-9a-f]+ passed 0\.0 %/);
    const still = await rollout(GATED);
    expect(still).toMatchObject({ status: 'holding', percent: 10 });
    expect(still.decisions.map((d) => d.kind)).not.toContain('advance');

    // triage rejects the case: the gate re-runs on the empty set, passes, and the rollout goes on
    const rejected = await call(`${curatorUrl}/v1/cases/${caseId}/reject`, {
      method: 'POST',
      body: JSON.stringify({ reason: 'the canned answer is what we want now' }),
    });
    expect(rejected.status).toBe(200);
    const done = await expectEventually(
      async () => {
        const state = await rollout(GATED);
        expect(state).toMatchObject({ status: 'completed', percent: 100 });
        return state;
      },
      { timeoutMs: 60_000 },
    );
    expect(done.gate).toMatchObject({ status: 'passed', cases: 0, pass_rate: 1 });
    expect(done.gate.note).toContain('no accepted regression cases');
    // a gate hold is logged again for each failing run (the case's acceptance may re-run it)
    const log = done.decisions
      .slice()
      .reverse()
      .map((d) => [d.kind, d.from_percent, d.to_percent])
      .filter(([kind], i, all) => kind !== 'hold' || all[i - 1]?.[0] !== 'hold');
    expect(log).toEqual([
      ['start', 0, 10],
      ['hold', 10, 10],
      ['resume', 10, 10],
      ['advance', 10, 50],
      ['advance', 50, 100],
      ['complete', 100, 100],
    ]);
  });

  it('ramps an A/A rollout step by step to 100 % with the gate passing, never halting', async () => {
    const caseId = await acceptedCase(TWIN, 'Do you ship to Norway?');
    expect((await act(TWIN, 'start')).status).toBe(200);
    const gated = await expectEventually(
      async () => {
        const state = await rollout(TWIN);
        expect(state.gate).toMatchObject({ status: 'passed', cases: 1, pass_rate: 1 });
        return state;
      },
      { timeoutMs: 60_000 },
    );
    const run = EvalRun.parse((await call(`${curatorUrl}/v1/eval-runs/${gated.gate.run_id}`)).body);
    expect(run).toMatchObject({ variant: 'candidate', gate: 'pass' });
    expect(run.results).toEqual([expect.objectContaining({ case_id: caseId, outcome: 'pass' })]);

    // each step: 300 interactions split as the flag splits them, both variants liked alike (10 %
    // dislikes); the votes go after every interaction is counted, so the step ends on a vote and
    // no interaction of it spills into the next step's sample-ratio check
    for (let step = 0; step < 3; step++) {
      const before = await rollout(TWIN);
      expect(before).toMatchObject({ status: 'running', step_index: step });
      const onCandidate = Math.round((300 * before.percent) / 100);
      const onControl = 300 - onCandidate;
      const events = interleave(
        traffic(TWIN, 'control', onControl, Math.round(onControl / 2), Math.round(onControl / 20)),
        traffic(TWIN, 'candidate', onCandidate, Math.round(onCandidate / 2), Math.round(onCandidate / 20)),
      );
      await publishTraffic(
        bus,
        events.filter((e) => e.kind === 'i'),
      );
      const count = (s: RolloutState, v: string) => s.variants[v]?.interactions ?? 0;
      await expectEventually(
        async () => {
          const counted = await rollout(TWIN);
          expect([count(counted, 'control'), count(counted, 'candidate')]).toEqual([
            count(before, 'control') + onControl,
            count(before, 'candidate') + onCandidate,
          ]);
        },
        { timeoutMs: 60_000 },
      );
      await publishTraffic(
        bus,
        events.filter((e) => e.kind === 'f'),
      );
      await expectEventually(
        async () => {
          const after = await rollout(TWIN);
          expect(after.status === 'completed' || after.step_index > step).toBe(true);
        },
        { timeoutMs: 60_000 },
      );
    }
    const done = await rollout(TWIN);
    expect(done).toMatchObject({ status: 'completed', percent: 100 });
    expect(done.gate).toMatchObject({ status: 'passed', run_id: gated.gate.run_id });
    expect(done.decisions.map((d) => [d.kind, d.from_percent, d.to_percent]).reverse()).toEqual([
      ['start', 0, 10],
      ['advance', 10, 50],
      ['advance', 50, 100],
      ['complete', 100, 100],
    ]);
  });

  it("runs the gate again when the candidate's config changed across a restart", async () => {
    const caseId = await acceptedCase(TUNED, 'Can I pay by invoice?');
    expect((await act(TUNED, 'start')).status).toBe(200);
    const first = await expectEventually(
      async () => {
        const state = await rollout(TUNED);
        expect(state.gate).toMatchObject({ status: 'passed', cases: 1 });
        return state;
      },
      { timeoutMs: 60_000 },
    );
    // a new model for the candidate in flywheel.yaml: the restarted controller owes it a gate run
    await rollouts.close();
    rollouts = await startRollouts(parseConfig(config(simUrl, 'ok'), join(dir, 'tuned.yaml')));
    const rerun = await expectEventually(
      async () => {
        const state = await rollout(TUNED);
        expect(state.gate.run_id).toBeDefined();
        expect(state.gate.run_id).not.toBe(first.gate.run_id);
        expect(state.gate).toMatchObject({ status: 'passed' });
        return state;
      },
      { timeoutMs: 60_000 },
    );
    const run = EvalRun.parse((await call(`${curatorUrl}/v1/eval-runs/${rerun.gate.run_id}`)).body);
    expect(run).toMatchObject({ route: TUNED, variant: 'candidate' });
    expect(run.results).toEqual([expect.objectContaining({ case_id: caseId })]);
  });
});
