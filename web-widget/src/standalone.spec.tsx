import { act, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QUEUE_STORAGE_KEY } from './queue';
import { scriptOrigin, start } from './standalone';
import { accepted, response } from './testing/fake-feedback-service';
import type { FeedbackBody } from './types';

let stop: () => void = () => undefined;
let fetch: jest.Mock;
const original = globalThis.fetch;

beforeEach(() => {
  localStorage.removeItem(QUEUE_STORAGE_KEY);
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

function boot(src = 'https://feedback.example.com/widget.js') {
  const script = document.createElement('script');
  script.setAttribute('src', src);
  act(() => {
    stop = start(window, script);
  });
}

/** The widget inside `el`'s shadow root (or a child host's, for elements that cannot have one). */
function widgetIn(el: Element): HTMLElement | null {
  const shadow = el.shadowRoot ?? el.querySelector('[data-flywheel-host]')?.shadowRoot;
  return (shadow?.querySelector('.fw-root') as HTMLElement | null) ?? null;
}

const sentBodies = () =>
  fetch.mock.calls.map(
    (call) => JSON.parse((call as unknown as [string, { body: string }])[1].body) as FeedbackBody,
  );

describe('script-tag build', () => {
  it('mounts on [data-flywheel-feedback] inside an open shadow root and posts to data-endpoint', async () => {
    const el = widgetElement({
      'data-interaction-id': 'int-1',
      'data-token': 'tok-1',
      'data-endpoint': 'https://fb.internal',
    });
    document.body.append(el);
    boot();
    const widget = widgetIn(el);
    expect(widget).not.toBeNull();
    expect(el.shadowRoot?.querySelectorAll('style')).toHaveLength(2);
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

    for (const el of [listEl, jsonEl]) expect(el.shadowRoot?.querySelector('img')).toBeNull();
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
    await waitFor(() => expect(el.shadowRoot?.querySelector('.fw-root')).toBeNull());
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
