import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CaseList, Topics } from '@flywheel/contracts';
import { expectEventually } from '@flywheel/platform/testing';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../../../test-support/chromium';
import { buildConsole } from '../../../test-support/console-build';
import { startGroupAt } from '../../../test-support/kafka-groups';
import { freePort } from '../../../infra/local/ports';
import { start, type Started } from '../src/start';
import { createTestDatabase } from '../../../test-support/postgres';

/**
 * The whole loop as a first-time user meets it, in Debian's Chromium: `flywheel start` (what
 * `npm start` runs), a question in the demo chat answered through the gateway, a thumbs-down
 * with a reason and a comment in the widget under the answer, and the case it becomes in the
 * triage console. Once on embedded defaults, once on the real Kafka, Redis and Postgres.
 */

let work: string;
let consoleDist: string;
let browser: Browser;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'flywheel-loop-'));
  consoleDist = join(work, 'console');
  [browser] = await Promise.all([launchChromium(), buildConsole(consoleDist)]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await rm(work, { recursive: true, force: true });
});

const backends: [string, () => Promise<{ env: NodeJS.ProcessEnv; cleanup(): Promise<void> }>][] = [
  ['embedded defaults', async () => ({ env: {}, cleanup: async () => undefined })],
  [
    'real Kafka, Redis and Postgres',
    async () => {
      const groupId = `loop-${Date.now()}`;
      // the case comes from this test's vote: no need to work through every earlier suite's events
      await startGroupAt(process.env.KAFKA_BROKERS!, groupId, [Topics.interactions, Topics.feedback]);
      const db = await createTestDatabase('loop');
      return {
        env: {
          KAFKA_BROKERS: process.env.KAFKA_BROKERS,
          REDIS_URL: process.env.REDIS_URL,
          DATABASE_URL: db.url,
          CURATOR_GROUP_ID: groupId,
        },
        cleanup: () => db.drop(),
      };
    },
  ],
];

describe.each(backends)('flywheel start on %s', (name, backend) => {
  let running: Started;
  let cleanup: () => Promise<void>;
  const url = (prefix: string) => running.components.find((c) => c.name.startsWith(prefix))!.url;

  beforeAll(async () => {
    const b = await backend();
    cleanup = b.cleanup;
    const dataDir = join(work, name.replace(/\W+/g, '-'));
    running = await start({
      env: {
        ...b.env,
        SIM_PORT: '0',
        GATEWAY_PORT: '0',
        // a port known in advance: the gateway's CORS allowlist must name the demo page's origin
        FEEDBACK_PORT: String(await freePort()),
        CURATOR_PORT: '0',
        ROLLOUTS_PORT: '0',
        ROLLOUTS_SYNC_PORT: '0',
        FLYWHEEL_DATA_DIR: dataDir,
        CURATOR_CONSOLE_DIR: consoleDist,
      },
      log: () => undefined,
    });
  }, 120_000);

  afterAll(async () => {
    await running?.stop();
    await cleanup?.();
  });

  it('a thumbs-down in the demo chat becomes a case in the triage console', async () => {
    const question = `Which plan fits a team of five? (${name})`;
    const comment = 'It ignored the team size <b>entirely</b>.';
    const context = await browser.newContext();
    const page = await context.newPage();
    // the widget attaches a closed shadow root, which Playwright's locators cannot enter: open it
    await page.addInitScript(`{
      const attach = Element.prototype.attachShadow;
      Element.prototype.attachShadow = function (init) { return attach.call(this, { ...init, mode: 'open' }); };
    }`);
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));

    // The demo chat, answered by the gateway's demo-chat route.
    await page.goto(url('demo chat'));
    await page.getByLabel('Your message').fill(question);
    await page.getByRole('button', { name: 'Send' }).click();
    const answer = page.locator('.msg.assistant').last();
    const widget = answer.locator('[data-flywheel-feedback]');
    await widget.getByRole('button', { name: 'Not helpful' }).click();
    await widget.getByRole('button', { name: 'Incorrect' }).click();
    await widget.getByLabel('Comment (optional)').fill(comment);
    await widget.getByRole('button', { name: 'Send feedback' }).click();
    await widget.getByRole('status').getByText('Thanks for your feedback!').waitFor();
    const interactionId = await widget.getAttribute('data-interaction-id');
    expect(interactionId).toBeTruthy();

    // The curator turns it into a case (the API first, so a failure says where the loop broke).
    await expectEventually(
      async () => {
        const res = await fetch(`${url('curator')}/v1/cases?route=demo-chat&status=new`, {
          headers: { authorization: `Bearer ${running.secrets.adminToken}` },
        });
        const body = (await res.json()) as CaseList;
        expect(body.cases.flatMap((c) => c.lineage.interaction_ids)).toContain(interactionId);
      },
      // a new consumer group on the real topics first reads what other suites published
      { timeoutMs: 60_000, intervalMs: 250 },
    );

    // The triage console shows it, the comment as the text the user typed.
    await page.goto(url('triage console'));
    await page.getByLabel('Admin token').fill(running.secrets.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Triage queue' }).waitFor();
    await page.getByLabel('Route').selectOption('demo-chat');
    await page.getByRole('link', { name: question }).click();
    await page.getByRole('heading', { name: 'Case on demo-chat new' }).waitFor();
    const feedback = page.getByRole('region', { name: 'Feedback' });
    expect(await feedback.locator('dd.comment').first().innerText()).toBe(comment);
    expect(await page.locator('main b').count()).toBe(0);
    expect(problems).toEqual([]);
    await context.close();
  }, 150_000);
});
