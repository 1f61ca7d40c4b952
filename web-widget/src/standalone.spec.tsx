import { act, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { scriptOrigin, start, widgetShadowRoot } from './standalone';
import { accepted, response } from './testing/fake-feedback-service';
import type { FeedbackBody } from './types';

let stop: () => void = () => undefined;
let fetch: jest.Mock;
const original = globalThis.fetch;

beforeEach(() => {
  localStorage.clear();
  fetch = jest.fn(async () => response(accepted()));
  globalThis.fetch = fetch as unknown as typeof globalThis.fetch;
  jest.spyOn(console, 'warn').mockImplementation(() => undefined);
});

afterEach(() => {
  act(() => stop());
  document.body.replaceChildren();
  document.head.replaceChildren();
  globalThis.fetch = original;
  jest.restoreAllMocks();
  delete window.Flywheel;
});

function widgetElement(attributes: Record<string, string>, tag = 'div'): HTMLElement {
  const el = document.createElement(tag);
  el.setAttribute('data-flywheel-feedback', '');
  for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value);
  return el;
}

function boot(src = 'https://feedback.example.com/widget.js', allowEndpoints?: string) {
  const script = document.createElement('script');
  script.setAttribute('src', src);
  if (allowEndpoints !== undefined) script.setAttribute('data-allow-endpoints', allowEndpoints);
  act(() => {
    stop = start(window, script);
  });
}

/** The widget inside `el`'s closed shadow root (or a child host's, for elements that cannot have
 * one), reached through the module's own handle: the page cannot. */
function widgetIn(el: Element): HTMLElement | null {
  const shadow = widgetShadowRoot(el);
  return (shadow?.querySelector('.fw-root') as HTMLElement | null) ?? null;
}

const sentBodies = () =>
  fetch.mock.calls.map(
    (call) => JSON.parse((call as unknown as [string, { body: string }])[1].body) as FeedbackBody,
  );

describe('script-tag build', () => {
  it('mounts on [data-flywheel-feedback] inside a closed shadow root and posts to data-endpoint', async () => {
    const el = widgetElement({
      'data-interaction-id': 'int-1',
      'data-token': 'tok-1',
      'data-endpoint': 'https://fb.internal',
    });
    document.body.append(el);
    boot('https://feedback.example.com/widget.js', 'https://fb.internal');
    const widget = widgetIn(el);
    expect(widget).not.toBeNull();
    expect(widgetShadowRoot(el)?.mode).toBe('closed');
    expect(el.shadowRoot).toBeNull(); // the page's scripts cannot reach into the widget
    expect(widgetShadowRoot(el)?.querySelectorAll('style')).toHaveLength(2);
    expect(el.querySelector('button')).toBeNull(); // nothing leaks into the light DOM

    await userEvent.click(within(widget as HTMLElement).getByRole('button', { name: 'Helpful' }));
    await waitFor(() => expect(fetch).toHaveBeenCalledTimes(1));
    expect(fetch.mock.calls[0]?.[0]).toBe('https://fb.internal/v1/feedback');
    expect(sentBodies()).toEqual([{ interaction_id: 'int-1', token: 'tok-1', rating: 'up' }]);
  });

  it("defaults the endpoint to the script's own origin", async () => {
    const el = widgetElement({ 'data-interaction-id': 'int-1', 'data-token': 'tok-1' });
    document.body.append(el);
    boot('https://feedback.example.com:8443/static/widget.js?v=3');
    await userEvent.click(within(widgetIn(el) as HTMLElement).getByRole('button', { name: 'Helpful' }));
    await waitFor(() => expect(fetch).toHaveBeenCalledTimes(1));
    expect(fetch.mock.calls[0]?.[0]).toBe('https://feedback.example.com:8443/v1/feedback');
  });

  it("refuses a data-endpoint on another origin than the script's unless the script tag allows it", async () => {
    const foreign = widgetElement({
      'data-interaction-id': 'int-f',
      'data-token': 'tok-f',
      'data-endpoint': 'https://attacker.example/collect',
    });
    const samePath = widgetElement({
      'data-interaction-id': 'int-s',
      'data-token': 'tok-s',
      'data-endpoint': 'https://feedback.example.com/tenant-a',
    });
    document.body.append(foreign, samePath);
    boot('https://feedback.example.com/widget.js', 'https://fb.internal:8443 https://other.example/x');
    expect(widgetIn(foreign)).toBeNull();
    expect(console.warn).toHaveBeenCalledWith(expect.stringContaining('data-allow-endpoints'), foreign);
    await userEvent.click(within(widgetIn(samePath) as HTMLElement).getByRole('button', { name: 'Helpful' }));
    await waitFor(() => expect(fetch).toHaveBeenCalledTimes(1));
    expect(fetch.mock.calls[0]?.[0]).toBe('https://feedback.example.com/tenant-a/v1/feedback');

    // A listed origin is allowed, an origin differing only by port is not; changing the attribute
    // to a foreign origin later removes the widget instead of redirecting its votes.
    foreign.dataset.endpoint = 'https://fb.internal:8443';
    await waitFor(() => expect(widgetIn(foreign)).not.toBeNull());
    foreign.dataset.endpoint = 'https://fb.internal';
    await waitFor(() => expect(widgetIn(foreign)).toBeNull());
    samePath.dataset.endpoint = '//attacker.example';
    await waitFor(() => expect(widgetIn(samePath)).toBeNull());
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('reads reasons and strings from data attributes, as text only', async () => {
    const html = '<img src=x onerror="window.__pwned=1">';
    const listEl = widgetElement({
      'data-interaction-id': 'a',
      'data-token': 't',
      'data-reasons': 'incorrect, too_long',
      'data-strings': JSON.stringify({
        down: 'Schlecht',
        reasonLabels: { too_long: 'Zu lang', incorrect: html },
      }),
    });
    const jsonEl = widgetElement({
      'data-interaction-id': 'b',
      'data-token': 't',
      'data-reasons': JSON.stringify([{ id: 'made_up', label: html }, 'other', { label: 'no id' }, 42]),
      'data-strings': JSON.stringify({ prompt: html, thanks: { __html: html }, down: ['x'] }),
    });
    document.body.append(listEl, jsonEl);
    boot();

    const first = within(widgetIn(listEl) as HTMLElement);
    await userEvent.click(first.getByRole('button', { name: 'Schlecht' }));
    const firstChips = [...(widgetIn(listEl) as HTMLElement).querySelectorAll('.fw-chip')];
    expect(firstChips.map((c) => c.textContent)).toEqual([html, 'Zu lang']);

    const second = widgetIn(jsonEl) as HTMLElement;
    expect(second.querySelector('.fw-prompt')?.textContent).toBe(html);
    await userEvent.click(within(second).getByRole('button', { name: 'Not helpful' }));
    const chips = [...second.querySelectorAll('.fw-chip')].map((c) => c.textContent);
    expect(chips).toEqual([html, 'Other']);
    expect(second.querySelector('form')?.hidden).toBe(false);
    // jsdom does not refresh computed styles inside shadow trees when `hidden` goes away, so
    // Testing Library would still think the form is hidden: include hidden elements here.
    await userEvent.click(within(second).getByRole('button', { name: 'Send feedback', hidden: true }));
    expect(second.querySelector('.fw-status')?.textContent).toBe('Thanks for your feedback!');
    // The first widget's form is still open: only the second one's down vote has gone out.
    await waitFor(() => expect(sentBodies()).toEqual([{ interaction_id: 'b', token: 't', rating: 'down' }]));

    for (const el of [listEl, jsonEl]) expect(widgetShadowRoot(el)?.querySelector('img')).toBeNull();
    expect((window as { __pwned?: number }).__pwned).toBeUndefined();
  });

  it('ignores attributes that are not valid JSON', () => {
    const el = widgetElement({ 'data-interaction-id': 'a', 'data-token': 't', 'data-strings': '{oops' });
    document.body.append(el);
    boot();
    expect(widgetIn(el)?.querySelector('.fw-prompt')?.textContent).toBe('Was this response helpful?');
    expect(console.warn).toHaveBeenCalledWith(expect.stringContaining('not valid JSON'), '{oops');
  });

  it('mounts widgets added later (under new chat answers) and removes them with their element', async () => {
    boot();
    const answer = document.createElement('article');
    answer.append(widgetElement({ 'data-interaction-id': 'late', 'data-token': 't' }));
    document.body.append(answer);
    const el = answer.firstElementChild as HTMLElement;
    await waitFor(() => expect(widgetIn(el)).not.toBeNull());

    answer.remove();
    await waitFor(() => expect(widgetShadowRoot(el)?.querySelector('.fw-root')).toBeNull());
  });

  it('mounts once the interaction id and token are filled in, and again when they change', async () => {
    boot();
    const el = widgetElement({});
    document.body.append(el);
    await waitFor(() => expect(console.warn).toHaveBeenCalled());
    expect(widgetIn(el)).toBeNull();

    el.dataset.interactionId = 'int-7';
    el.dataset.token = 'tok-7';
    await waitFor(() => expect(widgetIn(el)).not.toBeNull());
    await userEvent.click(within(widgetIn(el) as HTMLElement).getByRole('button', { name: 'Helpful' }));

    el.dataset.interactionId = 'int-8';
    await waitFor(() =>
      expect(within(widgetIn(el) as HTMLElement).getByRole('button', { name: 'Helpful' }).ariaPressed).toBe(
        'false',
      ),
    );
    await userEvent.click(within(widgetIn(el) as HTMLElement).getByRole('button', { name: 'Helpful' }));
    await waitFor(() => expect(fetch).toHaveBeenCalledTimes(2));
    expect(sentBodies().map((b) => b.interaction_id)).toEqual(['int-7', 'int-8']);
  });

  it('exposes window.Flywheel.mount for elements the page manages itself', async () => {
    boot('https://cdn.example.net/widget.js');
    const el = document.createElement('section');
    document.body.append(el);
    let unmount: () => void = () => undefined;
    act(() => {
      unmount = window.Flywheel?.mount(el, {
        interactionId: 'm-1',
        token: 't',
        strings: { up: 'Yes' },
      }) as () => void;
    });
    await userEvent.click(within(widgetIn(el) as HTMLElement).getByRole('button', { name: 'Yes' }));
    await waitFor(() => expect(fetch).toHaveBeenCalledTimes(1));
    expect(fetch.mock.calls[0]?.[0]).toBe('https://cdn.example.net/v1/feedback');
    act(() => unmount());
    expect(widgetIn(el)).toBeNull();
  });

  it('uses a child host on elements that cannot have a shadow root', () => {
    const list = document.createElement('ul');
    const item = widgetElement({ 'data-interaction-id': 'li', 'data-token': 't' }, 'li');
    list.append(item);
    document.body.append(list);
    boot();
    expect(item.shadowRoot).toBeNull();
    expect(widgetIn(item)).not.toBeNull();
    expect(item.querySelectorAll('[data-flywheel-host]')).toHaveLength(1);
  });
});

describe('scriptOrigin', () => {
  it('is the origin of the script src, resolved against the page, else the page origin', () => {
    const script = (src?: string) => {
      const el = document.createElement('script');
      if (src) el.setAttribute('src', src);
      return el;
    };
    expect(scriptOrigin(script('https://a.example/w.js'), 'https://page.example/chat')).toBe(
      'https://a.example',
    );
    expect(scriptOrigin(script('/static/w.js'), 'https://page.example/chat')).toBe('https://page.example');
    expect(scriptOrigin(script(), 'https://page.example/chat')).toBe('https://page.example');
    expect(scriptOrigin(null, 'https://page.example/chat')).toBe('https://page.example');
  });
});
