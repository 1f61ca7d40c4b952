import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../../../test-support/chromium';
import { freshDatabase, type RunningCurator, startCurator } from './curator-test-kit';

/**
 * Issue #13: `/console//index.html`, `/console/./` and encoded variants were served without the
 * console's CSP, so the console could be framed there. Every variant, sent byte for byte (the
 * browser would normalise some), must carry the policy with `frame-ancestors 'none'`; in
 * Chromium, the pages load with it and a page that frames the console gets no console.
 */
const PATHS = [
  '/console',
  '/console/',
  '/console/index.html',
  '/console//index.html',
  '/console///index.html',
  '/console/./',
  '/console/./index.html',
  '/console/%2e/',
  '/console/%2E/index.html',
  '/console/index%2ehtml',
  '/console//',
  '/console/assets/../index.html',
  '/console/deep/client/route',
  '/console/page.html',
  '/console/missing.js',
];

let work: string;
let db: Awaited<ReturnType<typeof freshDatabase>>;
let curator: RunningCurator;
let browser: Browser;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'console-csp-'));
  await mkdir(join(work, 'assets'));
  await writeFile(join(work, 'index.html'), '<!doctype html><title>console</title><p id="root">console</p>');
  await writeFile(join(work, 'page.html'), '<!doctype html><title>page</title><p id="root">page</p>');
  [db, browser] = await Promise.all([freshDatabase(), launchChromium()]);
  curator = await startCurator({ databaseUrl: db.url, env: { CURATOR_CONSOLE_DIR: work } });
}, 150_000);

afterAll(async () => {
  await browser?.close();
  await curator?.close();
  await db?.drop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** GET with the path exactly as given (no URL normalisation). */
function rawGet(path: string): Promise<{ status: number; headers: Record<string, unknown> }> {
  const { hostname, port } = new URL(curator.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method: 'GET' }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

it.each(PATHS)('%s carries the CSP with frame-ancestors none, sent as is', async (path) => {
  const res = await rawGet(path);
  expect(res.status).toBeLessThan(500);
  expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(res.headers['content-security-policy']).toContain("script-src 'self'");
  expect(res.headers['x-frame-options']).toBe('DENY');
  expect(res.headers['x-content-type-options']).toBe('nosniff');
});

it('in Chromium every console path loads with the policy, and framing it shows no console', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  for (const path of PATHS) {
    const res = await page.goto(`${curator.url}${path}`);
    expect({ path, csp: res?.headers()['content-security-policy'] }).toEqual({
      path,
      csp: expect.stringContaining("frame-ancestors 'none'"),
    });
  }
  // A page of another origin frames the HTML variants: Chromium must refuse to render them.
  const framed = ['/console//index.html', '/console/./', '/console/index%2ehtml', '/console/page.html'];
  await page.setContent(
    framed.map((path) => `<iframe src="${curator.url}${path}" width="200" height="100"></iframe>`).join(''),
  );
  await page.waitForLoadState('load');
  for (const frame of page.frames().slice(1)) {
    // A frame Chromium blocked holds its error page, not the console.
    const text = await frame
      .evaluate<string | null>('document.getElementById("root")?.textContent ?? null')
      .catch(() => null);
    expect({ url: frame.url(), text }).toEqual({ url: frame.url(), text: null });
  }
  expect(page.frames().length).toBe(framed.length + 1);
  await context.close();
}, 120_000);
