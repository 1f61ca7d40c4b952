import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RolloutState } from '@flywheel/contracts';
import { createCuratorApp, type CuratorApp, parseCuratorEnv } from '@flywheel/curator';
import { createEventBus, type EventBus, RolloutPlanConfig } from '@flywheel/platform';
import { expectEventually } from '@flywheel/platform/testing';
import { createRolloutsApp, parseRolloutsEnv, type RolloutsApp } from '@flywheel/rollouts';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../../test-support/chromium';
import { buildConsole } from '../../../test-support/console-build';
import { createTestDatabase, type TestDatabase } from '../../../test-support/postgres';
import { feedbackEvent, interactionEvent } from '../../curator/test/curator-test-kit';

/**
 * The console's Rollouts page in Debian's Chromium, served by a real curator that forwards to a
 * real rollout controller, both on real Kafka and Postgres. One route's candidate is halted by
 * the votes published for it (what the gateway and the feedback service publish); the page shows
 * the halt and its reason. On another, running route, Pause and Roll back work with the admin
 * token, and without it they are refused, the page says so, and the rollout is unchanged.
 */

const ADMIN = `rollouts-console-${randomUUID()}`;
const REVOKED = `revoked-token-${randomUUID()}`;
const SCREENSHOTS = '/tmp/flywheel-rollouts-console';
const suffix = () => randomBytes(5).toString('hex');
const HALT = `rc-halt-${suffix()}`;
const PAUSE = `rc-pause-${suffix()}`;

/** Never advances on its own: the test decides when the rollout moves. */
const plan = (steps: number[]) =>
  RolloutPlanConfig.parse({
    control: 'control',
    candidate: 'candidate',
    steps,
    min_per_step: { interactions: 1_000_000, votes: 0, seconds: 0 },
    guardrails: { dislike_rate: { max_increase: 0.02 }, error_rate: { max_increase: 0.01 } },
    alpha: 0.05,
  });

let work: string;
const dbs: TestDatabase[] = [];
let bus: EventBus;
let controller: RolloutsApp;
let curator: CuratorApp;
let browser: Browser;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'flywheel-rollouts-console-'));
  const consoleDist = join(work, 'console');
  const built = buildConsole(consoleDist);
  const [curatorDb, rolloutsDb] = await Promise.all([
    createTestDatabase('rc_curator'),
    createTestDatabase('rc_rollouts'),
  ]);
  dbs.push(curatorDb, rolloutsDb);
  const brokers = process.env.KAFKA_BROKERS;
  bus = await createEventBus({
    source: 'rollouts-console-test',
    brokers,
    spoolDir: join(work, 'spool-test'),
  });
  controller = await createRolloutsApp({
    env: parseRolloutsEnv({
      KAFKA_BROKERS: brokers,
      DATABASE_URL: rolloutsDb.url,
      FLYWHEEL_ADMIN_TOKEN: ADMIN,
      ROLLOUTS_PORT: '0',
      ROLLOUTS_SYNC_PORT: '0',
      ROLLOUTS_HOST: '127.0.0.1',
      ROLLOUTS_SPOOL_DIR: join(work, 'spool-rollouts'),
      ROLLOUTS_GROUP_ID: `rc-rollouts-${suffix()}`,
      ROLLOUTS_DECIDE_INTERVAL_MS: '500',
    }),
    config: { rollouts: { [HALT]: plan([50, 100]), [PAUSE]: plan([10, 50, 100]) } },
  });
  await built;
  curator = await createCuratorApp({
    env: parseCuratorEnv({
      KAFKA_BROKERS: brokers,
      DATABASE_URL: curatorDb.url,
      FLYWHEEL_ADMIN_TOKEN: ADMIN,
      CURATOR_PORT: '0',
      CURATOR_HOST: '127.0.0.1',
      CURATOR_SPOOL_DIR: join(work, 'spool-curator'),
      CURATOR_GROUP_ID: `rc-curator-${suffix()}`,
      CURATOR_CONSOLE_DIR: consoleDist,
      CURATOR_ROLLOUTS_URL: controller.url,
    }),
    config: {
      curator: {
        join_ttl_s: 600,
        retention_days: 30,
        redaction: { enabled: false, extra_patterns: [], max_field_chars: 262144 },
      },
      routes: {},
    },
  });
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await curator?.close();
  await controller?.close();
  await bus?.close();
  for (const db of dbs) await db.drop();
  if (work) await rm(work, { recursive: true, force: true });
});

jest.setTimeout(180_000);

/** The controller's own view of a route, bypassing the curator and the console. */
async function stateAtController(route: string): Promise<RolloutState> {
  const res = await fetch(`${controller.url}/v1/rollouts/${route}`, {
    headers: { authorization: `Bearer ${ADMIN}` },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as RolloutState;
}

async function startRollout(route: string): Promise<void> {
  const res = await fetch(`${controller.url}/v1/rollouts/${route}/start`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}` },
  });
  expect(res.status).toBe(200);
}

/**
 * `n` answers of each variant, interleaved as a 50/50 split serves them, each voted on: `downs`
 * of each variant's thumbs-down. Published as the gateway and the feedback service publish them.
 */
async function publishVotes(route: string, n: number, downs: Record<'control' | 'candidate', number>) {
  for (let k = 0; k < n; k++) {
    for (const variant of ['control', 'candidate'] as const) {
      const interaction = interactionEvent(route, { variant, flag_key: route, latency_ms: 300 });
      const vote = feedbackEvent(interaction, {
        subject_hash: interaction.subject_hash,
        rating: (k * downs[variant]) % n < downs[variant] ? 'down' : 'up',
        reasons: [],
      });
      await bus.publish({
        type: 'dev.flywheel.interaction.v1',
        key: interaction.interaction_id,
        data: interaction,
      });
      await bus.publish({ type: 'dev.flywheel.feedback.v1', key: interaction.interaction_id, data: vote });
    }
  }
  await bus.flush(30_000);
}

async function signIn(page: Page, token: string): Promise<void> {
  await page.getByLabel('Admin token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

it('shows a rollout halted by its votes, with the reason; pause and rollback work with the admin token and are refused without it', async () => {
  // A candidate disliked five times as often as control (10 % vs 50 %), at a 50/50 split.
  await Promise.all([startRollout(HALT), startRollout(PAUSE)]);
  let candidateDowns = 0;
  for (let round = 0; round < 10 && (await stateAtController(HALT)).status !== 'halted'; round++) {
    await publishVotes(HALT, 60, { control: 6, candidate: 30 });
    candidateDowns += 30;
  }
  // halted, and every published vote counted (so the page and this test see the same figures)
  const halted = await expectEventually(
    async () => {
      const state = await stateAtController(HALT);
      expect(state.status).toBe('halted');
      expect(state.variants.candidate?.votes_down).toBe(candidateDowns);
      return state;
    },
    { timeoutMs: 30_000 },
  );
  expect(halted.reason).toMatch(/^halted: dislike_rate: candidate − control = \+0\.\d{3}/);

  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (/Content.Security.Policy|Refused to/i.test(msg.text())) problems.push(`console: ${msg.text()}`);
  });

  // Without the admin token the page shows nothing of the rollouts.
  await page.goto(`${curator.url}/console/#/rollouts`);
  await signIn(page, REVOKED);
  await page.getByText('The curator did not accept that token.', { exact: false }).waitFor();
  expect(await page.getByRole('heading', { name: 'Rollouts' }).count()).toBe(0);

  // With it: the halted rollout, its reason and the halt at the top of its decision log.
  await signIn(page, ADMIN);
  const haltPanel = page.getByRole('region', { name: `${HALT} halted` });
  await haltPanel.waitFor();
  expect(await haltPanel.getByLabel(`Reason for ${HALT}`).innerText()).toBe(halted.reason);
  expect(await haltPanel.innerText()).toContain('0 % of users on candidate');
  const firstDecision = haltPanel
    .getByRole('table', { name: `${HALT}: decision log` })
    .locator('tbody tr')
    .first();
  expect(await firstDecision.locator('td').nth(1).innerText()).toBe('halt');
  expect(await firstDecision.locator('td').nth(2).innerText()).toBe('50 % → 0 %');
  const dislike = haltPanel
    .getByRole('table', { name: `${HALT}: guardrails, candidate vs control` })
    .getByRole('row', { name: /dislike_rate/ });
  expect(await dislike.locator('td').last().innerText()).toBe('violated');
  const candidateRow = haltPanel
    .getByRole('table', { name: `${HALT}: evidence per variant` })
    .locator('tbody tr')
    .nth(1);
  expect(Number(await candidateRow.locator('td').nth(3).innerText())).toBe(candidateDowns);
  await page.screenshot({ path: `${SCREENSHOTS}-halted.png`, fullPage: true });

  // A token the curator no longer accepts (here: the request carries a revoked one): Pause is
  // refused, the page says so, and the rollout keeps running.
  const pausePanel = page.getByRole('region', { name: `${PAUSE} running` });
  await page.route('**/v1/rollouts/*/pause', (route) =>
    route.continue({ headers: { ...route.request().headers(), authorization: `Bearer ${REVOKED}` } }),
  );
  await pausePanel.getByRole('button', { name: 'Pause' }).click();
  await page.getByText('The curator did not accept that token.', { exact: false }).waitFor();
  expect(await page.getByLabel('Admin token').isVisible()).toBe(true);
  expect((await stateAtController(PAUSE)).status).toBe('running');
  await page.unroute('**/v1/rollouts/*/pause');

  // Signed in again: Pause works.
  await signIn(page, ADMIN);
  await pausePanel.getByRole('button', { name: 'Pause' }).click();
  await page.getByText(`${PAUSE}: paused, 10 % of users on candidate.`).waitFor();
  expect(await stateAtController(PAUSE)).toMatchObject({ status: 'paused', percent: 10 });
  const pausedPanel = page.getByRole('region', { name: `${PAUSE} paused` });
  expect(await pausedPanel.getByLabel(`Reason for ${PAUSE}`).innerText()).toBe('paused by an admin');

  // Roll back (after the confirmation): everyone on control.
  await pausedPanel.getByRole('button', { name: 'Roll back…' }).click();
  await pausedPanel.getByRole('button', { name: 'Roll back to control' }).click();
  await page.getByText(`${PAUSE}: rolled back, 0 % of users on candidate.`).waitFor();
  expect(await stateAtController(PAUSE)).toMatchObject({
    status: 'halted',
    percent: 0,
    reason: 'rolled back by an admin',
  });
  await page.getByRole('region', { name: `${PAUSE} halted` }).waitFor();
  await page.screenshot({ path: `${SCREENSHOTS}-rolled-back.png`, fullPage: true });

  expect(problems).toEqual([]);
  await context.close();
});

it('refuses the forwarded admin API without the admin token, and keeps the rollout as it was', async () => {
  const before = await stateAtController(HALT);
  for (const authorization of [undefined, `Bearer ${REVOKED}`]) {
    const res = await fetch(`${curator.url}/v1/rollouts/${HALT}/start`, {
      method: 'POST',
      headers: authorization ? { authorization } : {},
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('unauthorized');
  }
  expect((await stateAtController(HALT)).decisions).toEqual(before.decisions);

  const auth = { authorization: `Bearer ${ADMIN}` };
  const refused = await fetch(`${curator.url}/v1/rollouts/${HALT}/pause`, { method: 'POST', headers: auth });
  expect(refused.status).toBe(409);
  expect(((await refused.json()) as { error: { message: string } }).error.message).toBe(
    'cannot pause a rollout that is halted',
  );
  expect(
    (await fetch(`${curator.url}/v1/rollouts/${HALT}/explode`, { method: 'POST', headers: auth })).status,
  ).toBe(404);
  expect((await fetch(`${curator.url}/v1/rollouts/no-such-route`, { headers: auth })).status).toBe(404);
});
