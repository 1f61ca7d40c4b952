import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CaseList, EvalCase, EvalSetCase } from '@flywheel/contracts';
import { expectEventually } from '@flywheel/platform/testing';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../../test-support/chromium';
import { buildConsole } from '../../../test-support/console-build';
import {
  ADMIN_TOKEN,
  feedbackEvent,
  freshDatabase,
  interactionEvent,
  Publisher,
  type RunningCurator,
  startCurator,
  uniqueRoute,
  waitCaughtUp,
} from './curator-test-kit';

/**
 * The triage console in Debian's Chromium, served by the real curator on real Kafka and
 * Postgres: a disliked answer becomes a case, the reviewer filters, opens and accepts it with
 * the suggested assertion, and the case is in the route's export. The comment carries markup
 * that must stay text.
 */
const SCREENSHOTS = '/tmp/flywheel-console';
const XSS_COMMENT = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">';
const CORRECTION = 'Five business days.';
const ROUTE = uniqueRoute('console');
const QUESTION = `How long does a refund take? (${ROUTE})`;

let work: string;
let db: Awaited<ReturnType<typeof freshDatabase>>;
let curator: RunningCurator;
let publisher: Publisher;
let browser: Browser;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'flywheel-console-'));
  const consoleDist = join(work, 'dist');
  // The bundle under test is built from the current sources into a private directory, so the
  // test never runs a stale dist/ and never rewrites the one a running curator serves.
  const built = buildConsole(consoleDist);
  [db, publisher, browser] = await Promise.all([freshDatabase(), Publisher.open(), launchChromium()]);
  await built;
  curator = await startCurator({ databaseUrl: db.url, env: { CURATOR_CONSOLE_DIR: consoleDist } });
  await waitCaughtUp(curator.groupId);
}, 150_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all([publisher?.close(), curator?.close()]);
  await db?.drop();
  if (work) await rm(work, { recursive: true, force: true });
});

it('filters, opens and accepts a case with its suggested assertion; the export has it; the comment stays text', async () => {
  const interactionId = await publishDislike();
  const evalCase = await waitForCase(interactionId);

  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
  page = await context.newPage();
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' || /Content.Security.Policy|Refused to/i.test(msg.text())) {
      problems.push(`console ${msg.type()}: ${msg.text()}`);
    }
  });
  page.on('response', (res) => res.status() >= 400 && problems.push(`HTTP ${res.status()} ${res.url()}`));

  // Sign in.
  const index = await page.goto(`${curator.url}/console/`);
  expect(index?.headers()['content-security-policy']).toContain("default-src 'self'");
  await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Triage queue' }).waitFor();

  // Filter by the route: the queue shows this one case.
  await page.getByLabel('Route').selectOption(ROUTE);
  const link = page.getByRole('link', { name: QUESTION });
  await link.waitFor();
  await expectEventually(async () => expect(await page.locator('table.cases tbody tr').count()).toBe(1), {
    timeoutMs: 10_000,
  });
  expect(page.url()).toContain(`route=${ROUTE}`);
  await page.screenshot({ path: `${SCREENSHOTS}-queue.png`, fullPage: true });

  // Open it: the comment is shown as the literal text the user typed.
  await link.click();
  await page.getByRole('heading', { name: `Case on ${ROUTE} new` }).waitFor();
  const feedback = page.getByRole('region', { name: 'Feedback' });
  expect(await feedback.locator('dd.comment').first().innerText()).toBe(XSS_COMMENT);
  expect(await page.locator('main img, main script').count()).toBe(0);

  // Accept with the suggested assertion (a short correction → `contains` it).
  await page.getByRole('button', { name: 'Accept…' }).click();
  const assertion = page.getByRole('group', { name: 'Assertion 1' });
  expect(await assertion.getByLabel('Type').inputValue()).toBe('contains');
  expect(await assertion.getByLabel('Text the answer must contain').inputValue()).toBe(CORRECTION);
  expect(await page.getByRole('group').count()).toBe(1);
  expect(await page.getByLabel('Expected answer (optional)').inputValue()).toBe(CORRECTION);
  await page.screenshot({ path: `${SCREENSHOTS}-case.png`, fullPage: true });
  await page.getByRole('button', { name: 'Accept case' }).click();
  await page.getByText('Case accepted with 1 assertion.').waitFor();

  // The export has the case with that assertion, fetched by the console's preview…
  await page.getByRole('link', { name: 'Export' }).click();
  await page.getByRole('button', { name: `Preview ${ROUTE}` }).click();
  const preview = page.getByRole('region', { name: `${ROUTE}: 1 accepted case` });
  await preview.waitFor();
  const previewed = JSON.parse(await preview.locator('pre').innerText()) as EvalSetCase;
  expect(previewed.case_id).toBe(evalCase.id);
  await page.screenshot({ path: `${SCREENSHOTS}-export.png`, fullPage: true });

  // …and by the API.
  const exported = await curator.api(`/v1/eval-sets/${ROUTE}?format=jsonl`);
  expect(exported.status).toBe(200);
  const lines = exported.text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as EvalSetCase);
  expect(lines).toEqual([
    expect.objectContaining({
      case_id: evalCase.id,
      route: ROUTE,
      expected: CORRECTION,
      assertions: [{ type: 'contains', value: CORRECTION }],
      lineage: expect.objectContaining({ interaction_ids: [interactionId] }),
    }),
  ]);

  // The other views read the real API without an error (a contract mismatch would show one).
  await page.getByRole('link', { name: 'Parked votes' }).click();
  await page
    .locator('main')
    .getByText(/No parked votes\.|parked votes?$/)
    .first()
    .waitFor();
  await page
    .getByRole('table', { name: 'Votes per route and variant' })
    .getByRole('cell', { name: ROUTE })
    .waitFor();
  await page.getByRole('link', { name: 'Eval runs' }).click();
  await page.getByRole('heading', { name: 'Eval runs' }).waitFor();
  await page
    .locator('main')
    .getByText(/No eval runs yet|Finished/)
    .first()
    .waitFor();

  expect(await page.evaluate('typeof window.__xss')).toBe('undefined');
  expect(problems).toEqual([]);
  await context.close();
}, 90_000);

/** The interaction and its thumbs-down, as the gateway and the feedback service publish them. */
async function publishDislike(): Promise<string> {
  const interaction = interactionEvent(ROUTE, { content: QUESTION, output: 'Refunds are instant.' });
  await publisher.interaction(interaction);
  await publisher.feedback(
    feedbackEvent(interaction, { reasons: ['incorrect'], comment: XSS_COMMENT, correction: CORRECTION }),
  );
  return interaction.interaction_id;
}

async function waitForCase(interactionId: string): Promise<EvalCase> {
  return expectEventually(
    async () => {
      const { body } = await curator.api<CaseList>(`/v1/cases?route=${ROUTE}&status=new`);
      const found = body.cases.find((c) => c.lineage.interaction_ids.includes(interactionId));
      expect(found).toBeDefined();
      return found!;
    },
    { timeoutMs: 30_000 },
  );
}
