/**
 * The real dist/widget.js (Preact standing in for React), built in memory and run in a page.
 * @jest-environment node
 */
/// <reference types="node" />
import path from 'node:path';
import { build } from 'esbuild';
import { JSDOM } from 'jsdom';
import { bundles } from '../scripts/bundles';
import { eventually } from './testing/eventually';

async function buildStandalone(): Promise<string> {
  const standalone = bundles(path.resolve(__dirname, '..')).find((b) => b.file === 'dist/widget.js');
  if (!standalone) throw new Error('no standalone bundle');
  const result = await build({ ...standalone.options, write: false, sourcemap: false });
  return result.outputFiles.find((f) => f.path.endsWith('widget.js'))?.text ?? '';
}

function page(code: string) {
  const dom = new JSDOM(
    '<!doctype html><body><div id="w" data-flywheel-feedback data-interaction-id="int-b" data-token="tok-b"></div></body>',
    { url: 'https://chat.example.com/c/1', runScripts: 'outside-only' },
  );
  const { window } = dom;
  // The widget's shadow roots are closed: the page cannot reach them through `el.shadowRoot`. The
  // test records each one as it is attached, like a browser's devtools would see it.
  const shadows = new Map<Element, ShadowRoot>();
  const attachShadow = window.Element.prototype.attachShadow;
  window.Element.prototype.attachShadow = function (this: Element, init: ShadowRootInit) {
    const root = attachShadow.call(this, init);
    shadows.set(this, root);
    return root;
  };
  const requests: { url: string; body: unknown }[] = [];
  Object.assign(window, {
    fetch: async (url: string, init: { body: string }) => {
      requests.push({ url, body: JSON.parse(init.body) });
      return {
        ok: true,
        status: 202,
        headers: { get: () => null },
        json: async () => ({ feedback_id: 'fb' }),
      };
    },
  });
  window.eval(code);
  const click = (el: Element | null | undefined) => {
    if (!el) throw new Error('nothing to click');
    el.dispatchEvent(new window.MouseEvent('click', { bubbles: true, cancelable: true }));
  };
  return {
    window,
    document: window.document,
    requests,
    click,
    shadowOf: (el: Element | null) => (el ? shadows.get(el) : undefined),
  };
}

describe('dist/widget.js', () => {
  let code = '';
  beforeAll(async () => {
    code = await buildStandalone();
  }, 30_000);

  it('bundles Preact, not React or zod', () => {
    expect(code).not.toMatch(/react-dom|__SECRET_INTERNALS|ZodError/);
    expect(code.length).toBeGreaterThan(5000);
  });

  it('auto-mounts, votes, collects details and posts them to the page origin', async () => {
    const p = page(code);
    // The page is still loading: the widget mounts on DOMContentLoaded.
    expect(p.document.readyState).toBe('loading');
    const shadow = await eventually(() => {
      const root = p.shadowOf(p.document.getElementById('w'));
      if (!root) throw new Error('not mounted yet');
      return root;
    });
    const $ = (selector: string) => shadow?.querySelector(selector) as HTMLElement | null;
    expect($('.fw-prompt')?.textContent).toBe('Was this response helpful?');
    expect($('.fw-down')?.getAttribute('aria-pressed')).toBe('false');

    p.click($('.fw-down'));
    await eventually(() => expect($('.fw-down')?.getAttribute('aria-pressed')).toBe('true'));
    expect($('.fw-down')?.getAttribute('aria-expanded')).toBe('true');
    expect($('form')?.hidden).toBe(false);
    // Focus moves into the details; nothing is sent before Send.
    await eventually(() => expect(shadow.activeElement?.textContent).toBe('Incorrect'));
    expect(p.requests).toEqual([]);

    const chips = [...(shadow?.querySelectorAll('.fw-chip') ?? [])];
    expect(chips.map((c) => c.textContent)).toEqual([
      'Incorrect',
      'Unhelpful',
      'Wrong format',
      'Unsafe',
      'Other',
    ]);
    p.click(chips[2]);
    await eventually(() => expect(chips[2]?.getAttribute('aria-pressed')).toBe('true'));
    ($('textarea[name=comment]') as HTMLTextAreaElement).value = 'Should be a table';
    p.click($('.fw-primary'));

    await eventually(() => expect(p.requests).toHaveLength(1));
    expect(p.requests).toEqual([
      {
        url: 'https://chat.example.com/v1/feedback',
        body: {
          interaction_id: 'int-b',
          token: 'tok-b',
          rating: 'down',
          reasons: ['wrong_format'],
          comment: 'Should be a table',
        },
      },
    ]);
    await eventually(() => expect($('.fw-status')?.textContent).toBe('Thanks for your feedback!'));
    expect($('form')?.hidden).toBe(true);
    expect(shadow.activeElement).toBe($('.fw-down'));
    expect(p.requests).toHaveLength(1);
    p.window.close();
  });

  it('sends a down vote whose details were never sent, bare and once, when the page is hidden', async () => {
    const p = page(code);
    const shadow = await eventually(() => {
      const root = p.shadowOf(p.document.getElementById('w'));
      if (!root) throw new Error('not mounted yet');
      return root;
    });
    p.click(shadow.querySelector('.fw-down'));
    await eventually(() => expect(shadow.querySelector('form')?.hidden).toBe(false));
    expect(p.requests).toEqual([]);
    p.window.dispatchEvent(new p.window.PageTransitionEvent('pagehide'));
    expect(p.requests).toEqual([
      {
        url: 'https://chat.example.com/v1/feedback',
        body: { interaction_id: 'int-b', token: 'tok-b', rating: 'down' },
      },
    ]);
    await eventually(() =>
      expect(shadow.querySelector('.fw-root')?.getAttribute('data-status')).toBe('sent'),
    );
    expect(p.requests).toHaveLength(1);
    p.window.close();
  });

  it('mounts widgets added later and exposes window.Flywheel.mount', async () => {
    const p = page(code);
    const later = p.document.createElement('div');
    later.setAttribute('data-flywheel-feedback', '');
    later.dataset.interactionId = 'int-late';
    later.dataset.token = 't';
    p.document.body.append(later);
    await eventually(() => expect(p.shadowOf(later)?.querySelector('.fw-root')).toBeTruthy());
    expect(p.shadowOf(later)?.mode).toBe('closed');
    expect(later.shadowRoot).toBeNull();

    const manual = p.document.createElement('section');
    p.document.body.append(manual);
    const flywheel = (p.window as unknown as { Flywheel: Window['Flywheel'] }).Flywheel;
    flywheel?.mount(manual, { interactionId: 'int-m', token: 't', strings: { up: 'Yes!' } });
    const up = p.shadowOf(manual)?.querySelector('.fw-thumb');
    expect(up?.getAttribute('aria-label')).toBe('Yes!');
    p.click(up);
    await eventually(() =>
      expect(p.requests.map((r) => r.body)).toEqual([{ interaction_id: 'int-m', token: 't', rating: 'up' }]),
    );
    p.window.close();
  });
});
