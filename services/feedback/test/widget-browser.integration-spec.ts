import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expectEventually } from '@flywheel/platform/testing';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { launchChromium } from '../../../test-support/chromium';
import {
  FeedbackTopic,
  type RunningFeedback,
  requireInfra,
  startFeedback,
  voter,
  type Voter,
} from './feedback-test-kit';

/**
 * The script-tag widget in Debian's Chromium, on a host page of another origin, against the
 * running feedback service on real Kafka and Redis; and the demo page, canned and live.
 */
const { KAFKA_BROKERS } = requireInfra();
const SCREENSHOTS = '/tmp/flywheel-widget';

/** A tiny HTTP server answering with whatever the test registered for a path. */
class TestServer {
  readonly requests: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] =
    [];
  private readonly routes = new Map<
    string,
    (body: string) => { status?: number; headers?: Record<string, string>; body: string }
  >();
  private constructor(private readonly server: Server) {}

  static async start(): Promise<TestServer> {
    const server = createServer();
    const t = new TestServer(server);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        t.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        const route = t.routes.get(`${req.method} ${new URL(req.url ?? '/', 'http://x').pathname}`);
        const answer = route?.(body) ?? { status: 404, body: 'not found' };
        res.writeHead(answer.status ?? 200, answer.headers ?? { 'content-type': 'text/html; charset=utf-8' });
        res.end(answer.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return t;
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  route(
    method: string,
    path: string,
    handler: (body: string) => { status?: number; headers?: Record<string, string>; body: string },
  ): void {
    this.routes.set(`${method} ${path}`, handler);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

let host: TestServer;
let feedback: RunningFeedback;
let topic: FeedbackTopic;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  host = await TestServer.start();
  [feedback, topic, browser] = await Promise.all([
    startFeedback({ allowedOrigins: [host.origin] }),
    FeedbackTopic.open(KAFKA_BROKERS),
    launchChromium(),
  ]);
}, 90_000);
afterAll(async () => {
  await browser?.close();
  await Promise.all([topic?.close(), feedback?.close(), host?.close()]);
});
beforeEach(async () => {
  context = await browser.newContext({ viewport: { width: 720, height: 600 }, colorScheme: 'light' });
  page = await context.newPage();
  problems.length = 0;
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => msg.type() === 'error' && problems.push(`console: ${msg.text()}`));
  page.on('response', (res) => res.status() >= 400 && problems.push(`HTTP ${res.status()} ${res.url()}`));
});
afterEach(async () => {
  await context?.close();
});

/** Makes the next pages' widgets attach open shadow roots, which Playwright's locators can enter. */
async function openShadowRoots(): Promise<void> {
  await page.addInitScript(`{
    const attach = Element.prototype.attachShadow;
    Element.prototype.attachShadow = function (init) { return attach.call(this, { ...init, mode: 'open' }); };
  }`);
}

/** What the widget left in the host page's localStorage. */
const storedKeys = () =>
  page.evaluate<string[]>('Object.keys(localStorage).filter((k) => k.startsWith("flywheel"))');

/**
 * A product page (another origin) with one answer and the script-tag widget under it. The widget's
 * shadow root is closed, which Playwright's locators cannot enter; unless `closed`, an init script
 * opens it so the test can drive the widget by role and label like a user would.
 */
async function openHostPage(v: Voter, { closed = false } = {}): Promise<Locator> {
  if (!closed) await openShadowRoots();
  const path = `/answer-${randomUUID()}`;
  host.route('GET', path, () => ({
    body: `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Acme support</title><link rel="icon" href="data:,">
<style>body{font:16px/1.5 system-ui,sans-serif;margin:24px;color:#1f2328;background:#fff}.answer{max-width:560px;padding:16px;border:1px solid #d1d9e0;border-radius:8px}</style>
</head><body>
<div class="answer">
  <p>Apollo 11 landed on the Moon on 20 July 1969.</p>
  <div id="feedback" data-flywheel-feedback data-interaction-id="${v.interactionId}" data-token="${v.token}" data-endpoint="${feedback.url}"></div>
</div>
<script src="${feedback.url}/widget.js"></script>
</body></html>`,
  }));
  await page.goto(`${host.origin}${path}`);
  const widget = page.locator('#feedback');
  if (!closed) await widget.getByRole('button', { name: 'Helpful', exact: true }).waitFor();
  return widget;
}

describe('the script-tag widget on a product page', () => {
  it('sends a thumbs-down with a reason and a comment as one event, then a change of mind as revision 2', async () => {
    const v = voter();
    const widget = await openHostPage(v);

    await widget.getByRole('button', { name: 'Not helpful' }).click();
    // The details open with the focus on the first reason; nothing is sent before Send.
    await expectEventually(async () => expect(await focusedText(page)).toBe('Incorrect'), {
      timeoutMs: 10_000,
    });
    await widget.getByRole('button', { name: 'Incorrect' }).click();
    await widget.getByLabel('Comment (optional)').fill('It was the 20th, not the 21st.');
    await widget.screenshot({ path: `${SCREENSHOTS}-form.png` });
    expect(await topic.settled(feedback, v.interactionId, v.subject)).toEqual([]);
    await widget.getByRole('button', { name: 'Send feedback' }).click();
    await waitForText(widget.getByRole('status'), 'Thanks for your feedback!');

    const detailed = await topic.waitFor(
      (m) => m.key === v.interactionId && m.event.subject_hash === v.subject,
    );
    expect(detailed.event).toMatchObject({
      interaction_id: v.interactionId,
      route: 'demo-chat',
      variant: 'candidate',
      rating: 'down',
      reasons: ['incorrect'],
      comment: 'It was the 20th, not the 21st.',
      revision: 1,
    });
    expect(await topic.settled(feedback, v.interactionId, v.subject)).toEqual([detailed.event]);
    await widget.screenshot({ path: `${SCREENSHOTS}-thanks.png` });

    // Change of mind: thumbs up replaces the vote as revision 2, same feedback id.
    await widget.getByRole('button', { name: 'Helpful', exact: true }).click();
    const up = await topic.waitFor(
      (m) => m.key === v.interactionId && m.event.subject_hash === v.subject && m.event.rating === 'up',
    );
    expect(up.event).toMatchObject({ revision: 2, feedback_id: detailed.event.feedback_id, reasons: [] });
    expect(await topic.settled(feedback, v.interactionId, v.subject)).toEqual([detailed.event, up.event]);
    expect(problems).toEqual([]);
  });

  it('sends a thumbs-down left without Send once, bare, when the user navigates away', async () => {
    const v = voter();
    const widget = await openHostPage(v);
    await widget.getByRole('button', { name: 'Not helpful' }).click();
    await widget.getByRole('button', { name: 'Unsafe' }).click();
    await widget.getByLabel('Comment (optional)').fill('never sent');
    expect(await topic.settled(feedback, v.interactionId, v.subject)).toEqual([]);

    // pagehide sends the held vote with a keepalive request, which outlives the page.
    host.route('GET', '/elsewhere', () => ({
      body: '<!doctype html><title>Elsewhere</title><link rel="icon" href="data:,"><p>Bye',
    }));
    await page.goto(`${host.origin}/elsewhere`);
    const bare = await topic.waitFor((m) => m.key === v.interactionId && m.event.subject_hash === v.subject);
    expect(bare.event).toMatchObject({ rating: 'down', reasons: [], revision: 1 });
    expect(bare.event.comment).toBeUndefined();

    // Whether or not the old page saw the answer, the next page with a widget empties the
    // queue; a repeat of the same vote publishes nothing.
    await openHostPage(voter());
    await expectEventually(async () => expect(await storedKeys()).toEqual([]), { timeoutMs: 30_000 });
    expect(await topic.settled(feedback, v.interactionId, v.subject)).toEqual([bare.event]);
    expect(problems).toEqual([]);
  });

  it('keeps a vote made offline and sends it exactly once when the browser is back online', async () => {
    const v = voter();
    const widget = await openHostPage(v);
    await context.setOffline(true);
    await widget.getByRole('button', { name: 'Not helpful' }).click();
    await widget.getByRole('button', { name: 'Wrong format' }).click();
    await widget.getByRole('button', { name: 'Send feedback' }).click();
    await waitForText(widget.getByRole('status'), "Saved. It will be sent when you're back online.");
    expect(await topic.settled(feedback, v.interactionId, v.subject)).toEqual([]);
    // queued under its endpoint's own key
    expect(await storedKeys()).toEqual([`flywheel-feedback-outbox ${feedback.url}`]);

    await context.setOffline(false);
    // The widget thanks the user as soon as it starts sending; the vote leaves its queue once
    // the service answered 202.
    await waitForText(widget.getByRole('status'), 'Thanks for your feedback!');
    // once sent, nothing of the vote (token, reasons) stays in the host page's storage
    await expectEventually(async () => expect(await storedKeys()).toEqual([]), { timeoutMs: 30_000 });
    const events = await topic.settled(feedback, v.interactionId, v.subject);
    expect(events.map((e) => [e.revision, e.rating, e.reasons])).toEqual([[1, 'down', ['wrong_format']]]);
  });
});

describe('the script-tag widget in its closed shadow root', () => {
  it("is out of reach of the page's scripts and still works from the keyboard", async () => {
    const v = voter();
    await openHostPage(v, { closed: true });
    // Rendered: the host element has a box of the widget's height; the page sees no shadow root.
    await expectEventually(
      async () =>
        expect(
          await page.evaluate<number>("document.getElementById('feedback').offsetHeight"),
        ).toBeGreaterThan(20),
      { timeoutMs: 30_000 },
    );
    expect(await page.evaluate("document.getElementById('feedback').shadowRoot")).toBeNull();
    expect(await page.evaluate("document.querySelectorAll('button').length")).toBe(0);
    // Tab reaches the first control inside the closed root, the thumbs-up; Enter presses it.
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('feedback');
    await page.keyboard.press('Enter');
    const up = await topic.waitFor((m) => m.key === v.interactionId && m.event.subject_hash === v.subject);
    expect(up.event).toMatchObject({ rating: 'up', revision: 1 });
    await expectEventually(async () => expect(await storedKeys()).toEqual([]), { timeoutMs: 30_000 });
    expect(problems).toEqual([]);
  });
});

describe('the demo page', () => {
  it('without a gateway: shows canned answers as text, labelled, with a working widget, under its CSP', async () => {
    const violations: string[] = [];
    page.on(
      'console',
      (msg) =>
        /Content Security Policy|TrustedHTML|Trusted Type/i.test(msg.text()) && violations.push(msg.text()),
    );
    await openShadowRoots();
    await page.goto(`${feedback.url}/demo`);
    await waitForText(page.locator('#mode'), 'Canned answers', { contains: true });
    const sneaky = '<img src=x onerror="document.title=\'pwned\'"> hello';
    await page.getByLabel('Your message').fill(sneaky);
    await page.getByRole('button', { name: 'Send' }).click();
    const answer = page.locator('.msg.assistant').last();
    await waitForText(answer.locator('.text'), `You asked: “${sneaky}”`, { contains: true });
    await waitForText(answer.locator('.note'), 'Canned demo answer', { contains: true });
    expect(await page.locator('#log img').count()).toBe(0);

    await answer.getByRole('button', { name: 'Helpful', exact: true }).click();
    await waitForText(answer.getByRole('status'), 'Thanks for your feedback!');
    const interactionId = await answer
      .locator('[data-flywheel-feedback]')
      .getAttribute('data-interaction-id');
    const vote = await topic.waitFor((m) => m.key === interactionId);
    expect(vote.event).toMatchObject({ route: 'demo-chat', variant: 'canned-demo', rating: 'up' });
    await page.screenshot({ path: `${SCREENSHOTS}-demo.png` });
    expect(await page.title()).toBe('Flywheel demo chat');
    expect(violations).toEqual([]);
    expect(problems).toEqual([]);
  });

  describe('with a gateway', () => {
    let gateway: TestServer;
    let live: RunningFeedback;
    beforeAll(async () => {
      gateway = await TestServer.start();
      live = await startFeedback({
        env: { FEEDBACK_DEMO_GATEWAY_URL: gateway.origin, FEEDBACK_DEMO_GATEWAY_KEY: 'fw-demo-browser-key' },
      });
    }, 90_000);
    afterAll(async () => {
      await Promise.all([live?.close(), gateway?.close()]);
    });

    it('sends route:demo-chat with the demo key and rates the answer by its headers', async () => {
      const v = voter();
      const cors = {
        'access-control-allow-origin': new URL(live.url).origin,
        'access-control-allow-headers': 'authorization, content-type',
        'access-control-allow-methods': 'POST',
        'access-control-expose-headers':
          'x-flywheel-interaction-id, x-flywheel-feedback-token, x-flywheel-variant',
      };
      gateway.route('OPTIONS', '/v1/chat/completions', () => ({ status: 204, headers: cors, body: '' }));
      gateway.route('POST', '/v1/chat/completions', () => ({
        headers: {
          ...cors,
          'content-type': 'application/json',
          'x-flywheel-interaction-id': v.interactionId,
          'x-flywheel-feedback-token': v.token,
          'x-flywheel-variant': 'candidate',
        },
        body: JSON.stringify({
          id: 'chatcmpl-1',
          object: 'chat.completion',
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: '<b>Bold</b> claim & <script>alert(1)</script>' },
              finish_reason: 'stop',
            },
          ],
        }),
      }));
      await openShadowRoots();
      await page.goto(`${live.url}/demo`);
      await waitForText(page.locator('#mode'), 'Live', { contains: true });
      await page.getByLabel('Your message').fill('Tell me something bold');
      await page.keyboard.press('Enter');
      const answer = page.locator('.msg.assistant').last();
      await waitForText(answer.locator('.text'), '<b>Bold</b> claim & <script>alert(1)</script>');
      expect(await page.locator('#log b, #log script').count()).toBe(0);

      const call = gateway.requests.find((r) => r.method === 'POST');
      expect(call?.headers.authorization).toBe('Bearer fw-demo-browser-key');
      expect(JSON.parse(call!.body)).toMatchObject({
        model: 'route:demo-chat',
        messages: [{ role: 'user', content: 'Tell me something bold' }],
      });

      await answer.getByRole('button', { name: 'Not helpful' }).click();
      await answer.getByRole('button', { name: 'Skip' }).click();
      await waitForText(answer.getByRole('status'), 'Thanks for your feedback!');
      const vote = await topic.waitFor((m) => m.key === v.interactionId);
      expect(vote.event).toMatchObject({ subject_hash: v.subject, rating: 'down', variant: 'candidate' });
      expect(problems).toEqual([]);
    });
  });
});

/** Text of the focused element, looking inside open shadow roots (the widget lives in one). */
function focusedText(p: Page): Promise<string | null> {
  return p.evaluate<string | null>(`(() => {
    let el = document.activeElement;
    while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
    return el ? el.textContent : null;
  })()`);
}

/** Waits until the locator's text is `text` (or, with `contains`, includes it). */
async function waitForText(locator: Locator, text: string, { contains = false } = {}): Promise<void> {
  await expectEventually(
    async () => {
      const actual = await locator.innerText();
      if (contains) expect(actual).toContain(text);
      else expect(actual).toBe(text);
    },
    { timeoutMs: 30_000 },
  );
}
