import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { FeedbackWidget, type FeedbackWidgetProps } from './feedback-widget';
import { createOutbox, type Outbox } from './outbox';
import { queueKey } from './queue';
import {
  accepted,
  failure,
  fakeFeedbackService,
  instantSleep,
  memoryStorage,
  response,
  type Reply,
} from './testing/fake-feedback-service';

const ENDPOINT = 'https://feedback.example.com';

function setup(props: Partial<FeedbackWidgetProps> = {}, replies: Reply[] = []) {
  const service = fakeFeedbackService(...replies);
  const storage = memoryStorage();
  const outbox = createOutbox({
    fetch: service.fetch,
    storage,
    key: queueKey(ENDPOINT),
    retry: { sleep: instantSleep().sleep },
  });
  const user = userEvent.setup();
  const widget = (extra: Partial<FeedbackWidgetProps> = {}) => (
    <FeedbackWidget
      interactionId="int-1"
      token="tok-1"
      endpoint={ENDPOINT}
      outbox={outbox}
      {...props}
      {...extra}
    />
  );
  const view = render(widget());
  const down = () => screen.getByRole('button', { name: 'Not helpful' });
  return {
    ...service,
    storage,
    outbox,
    user,
    view,
    widget,
    up: () => screen.getByRole('button', { name: 'Helpful' }),
    down,
    /** Thumbs-down, then these reason chips: chosen, nothing sent yet. */
    chooseDown: async (...reasons: string[]) => {
      await user.click(down());
      for (const name of reasons) await user.click(screen.getByRole('button', { name }));
      expect(service.requests).toEqual([]);
    },
    status: () => screen.getByRole('status'),
    root: () => view.container.querySelector('.fw-root') as HTMLElement,
    bodies: () => service.requests.map((r) => r.body),
  };
}

const BARE_DOWN = { interaction_id: 'int-1', token: 'tok-1', rating: 'down' };
const UP = { interaction_id: 'int-1', token: 'tok-1', rating: 'up' };

const pressed = (el: HTMLElement) => el.getAttribute('aria-pressed');
/** What the browser does when the user navigates away or closes the tab. */
const hidePage = () => act(() => void window.dispatchEvent(new Event('pagehide')));
/** Hides the page and lets the outbox finish, to check what (else) goes out. */
async function hidePageAndFlush(outbox: Outbox) {
  hidePage();
  await act(() => outbox.flush());
}
const details = () => screen.queryByRole('group', { name: 'What went wrong?' });

afterEach(() => jest.restoreAllMocks());

describe('FeedbackWidget', () => {
  it('starts idle: a question, two unpressed thumbs, no details, nothing announced', () => {
    const t = setup();
    expect(screen.getByRole('group', { name: 'Was this response helpful?' })).toBeTruthy();
    expect(pressed(t.up())).toBe('false');
    expect(pressed(t.down())).toBe('false');
    expect(t.down().getAttribute('aria-expanded')).toBe('false');
    expect(details()).toBeNull();
    expect(t.status().textContent).toBe('');
    expect(t.root().dataset.status).toBe('idle');
  });

  it('thumbs up sends the vote and thanks the user', async () => {
    const t = setup();
    await t.user.click(t.up());
    expect(pressed(t.up())).toBe('true');
    expect(pressed(t.down())).toBe('false');
    expect(t.status().textContent).toBe('Thanks for your feedback!');
    await waitFor(() => expect(t.root().dataset.status).toBe('sent'));
    expect(t.requests).toEqual([
      {
        url: `${ENDPOINT}/v1/feedback`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: UP,
      },
    ]);
  });

  it('is fully usable with the keyboard: vote down, pick reasons, comment, correct, send once', async () => {
    const t = setup();
    await t.user.tab();
    expect(document.activeElement).toBe(t.up());
    await t.user.tab();
    expect(document.activeElement).toBe(t.down());
    await t.user.keyboard('{Enter}');
    // Chosen, not sent: the thumb shows the choice, the details open and take the focus.
    expect(pressed(t.down())).toBe('true');
    expect(pressed(t.up())).toBe('false');
    expect(t.down().getAttribute('aria-expanded')).toBe('true');
    const chips = within(details() as HTMLElement);
    expect(document.activeElement).toBe(chips.getByRole('button', { name: 'Incorrect' }));
    expect(t.status().textContent).toBe('');
    expect(t.root().dataset.status).toBe('idle');
    expect(t.requests).toEqual([]);

    await t.user.keyboard(' ');
    await t.user.tab();
    await t.user.tab();
    expect(document.activeElement).toBe(chips.getByRole('button', { name: 'Wrong format' }));
    await t.user.keyboard('{Enter}');
    expect(pressed(chips.getByRole('button', { name: 'Incorrect' }))).toBe('true');
    expect(pressed(chips.getByRole('button', { name: 'Unhelpful' }))).toBe('false');
    expect(pressed(chips.getByRole('button', { name: 'Wrong format' }))).toBe('true');

    await t.user.tab();
    await t.user.tab();
    await t.user.tab();
    expect(document.activeElement).toBe(screen.getByRole('textbox', { name: 'Comment (optional)' }));
    await t.user.keyboard('It says 3.');
    await t.user.tab();
    expect(document.activeElement).toBe(
      screen.getByRole('textbox', { name: 'What should it have said? (optional)' }),
    );
    await t.user.keyboard('2 + 2 = 4');
    await t.user.tab();
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Send feedback' }));
    await t.user.keyboard('{Enter}');

    expect(details()).toBeNull();
    expect(document.activeElement).toBe(t.down());
    expect(pressed(t.down())).toBe('true');
    expect(t.status().textContent).toBe('Thanks for your feedback!');
    await waitFor(() => expect(t.root().dataset.status).toBe('sent'));
    expect(t.bodies()).toEqual([
      {
        interaction_id: 'int-1',
        token: 'tok-1',
        rating: 'down',
        reasons: ['incorrect', 'wrong_format'],
        comment: 'It says 3.',
        correction: '2 + 2 = 4',
      },
    ]);
  });

  it('a second press on a reason chip unselects it', async () => {
    const t = setup();
    await t.user.click(t.down());
    const unsafe = screen.getByRole('button', { name: 'Unsafe' });
    await t.user.click(unsafe);
    await t.user.click(unsafe);
    expect(pressed(unsafe)).toBe('false');
    await t.user.click(screen.getByRole('button', { name: 'Send feedback' }));
    await waitFor(() => expect(t.root().dataset.status).toBe('sent'));
    expect(t.bodies()).toEqual([BARE_DOWN]);
  });

  it('Escape closes the details, sends the bare down vote once and returns focus to the thumb', async () => {
    const t = setup();
    await t.chooseDown('Other');
    await t.user.keyboard('{Escape}');
    expect(details()).toBeNull();
    expect(document.activeElement).toBe(t.down());
    expect(t.down().getAttribute('aria-expanded')).toBe('false');
    expect(t.status().textContent).toBe('Thanks for your feedback!');
    await waitFor(() => expect(t.root().dataset.status).toBe('sent'));
    expect(pressed(t.down())).toBe('true');
    expect(t.bodies()).toEqual([BARE_DOWN]);
  });

  it('Skip sends the down vote without the details; reopening keeps what was typed, Send adds it', async () => {
    const t = setup();
    await t.user.click(t.down());
    const comment = () => screen.getByRole('textbox', { name: 'Comment (optional)' }) as HTMLTextAreaElement;
    await t.user.type(comment(), 'draft');
    await t.user.click(screen.getByRole('button', { name: 'Skip' }));
    expect(details()).toBeNull();
    expect(document.activeElement).toBe(t.down());
    await waitFor(() => expect(t.root().dataset.status).toBe('sent'));
    expect(t.bodies()).toEqual([BARE_DOWN]);

    // Reopening an already sent down vote holds nothing: Skip again sends nothing...
    await t.user.click(t.down());
    expect(comment().value).toBe('draft');
    await t.user.click(screen.getByRole('button', { name: 'Skip' }));
    await t.user.click(t.down());
    // ...and Send adds the details as one more vote.
    await t.user.click(screen.getByRole('button', { name: 'Send feedback' }));
    await waitFor(() => expect(t.requests).toHaveLength(2));
    expect(t.bodies()[1]).toEqual({ ...BARE_DOWN, comment: 'draft' });
  });

  it('is `sending` (already thanking the user) until the service answers', async () => {
    let answer: () => void = () => undefined;
    const outbox = createOutbox({
      storage: memoryStorage(),
      fetch: () => new Promise((resolve) => (answer = () => resolve(response(accepted())))),
    });
    const user = userEvent.setup();
    const { container } = render(
      <FeedbackWidget interactionId="i" token="t" endpoint={ENDPOINT} outbox={outbox} />,
    );
    const root = container.querySelector('.fw-root') as HTMLElement;
    await user.click(screen.getByRole('button', { name: 'Helpful' }));
    expect(root.dataset.status).toBe('sending');
    expect(screen.getByRole('status').textContent).toBe('Thanks for your feedback!');
    await act(async () => answer());
    await waitFor(() => expect(root.dataset.status).toBe('sent'));
  });

  it('lets the user change the vote; each change is one new POST', async () => {
    const t = setup();
    await t.user.click(t.up());
    await waitFor(() => expect(t.requests).toHaveLength(1));
    await t.user.click(t.down());
    expect(pressed(t.up())).toBe('false');
    expect(pressed(t.down())).toBe('true');
    expect(t.status().textContent).toBe('');
    await t.user.click(screen.getByRole('button', { name: 'Incorrect' }));
    expect(t.requests).toHaveLength(1);
    await t.user.click(screen.getByRole('button', { name: 'Send feedback' }));
    await t.user.click(t.up());
    expect(pressed(t.up())).toBe('true');
    expect(details()).toBeNull();
    await waitFor(() => expect(t.requests).toHaveLength(3));
    await waitFor(() => expect(t.root().dataset.status).toBe('sent'));
    expect(t.bodies()).toEqual([UP, { ...BARE_DOWN, reasons: ['incorrect'] }, UP]);
  });

  it('thumbs up while the down details are open drops the unsent down vote', async () => {
    const t = setup();
    await t.user.click(t.up());
    await waitFor(() => expect(t.root().dataset.status).toBe('sent'));
    await t.user.click(t.down());
    await t.user.click(t.up());
    expect(pressed(t.up())).toBe('true');
    expect(pressed(t.down())).toBe('false');
    expect(details()).toBeNull();
    expect(t.status().textContent).toBe('Thanks for your feedback!');
    // Leaving the page now must not send the dropped down vote either.
    t.view.unmount();
    await hidePageAndFlush(t.outbox);
    expect(t.bodies()).toEqual([UP]);
  });

  it('a down vote chosen but not sent goes out bare, once, when the page is hidden', async () => {
    const t = setup();
    await t.chooseDown('Unsafe');
    // pagehide: the request starts at once, without waiting for the outbox's lock.
    hidePage();
    expect(t.bodies()).toEqual([BARE_DOWN]);
    await waitFor(() => expect(t.root().dataset.status).toBe('sent'));
    expect(t.storage.getItem(queueKey(ENDPOINT))).toBeNull();

    // Back from the back/forward cache, the form is still open: Send adds the details.
    await t.user.click(screen.getByRole('button', { name: 'Send feedback' }));
    await waitFor(() => expect(t.requests).toHaveLength(2));
    expect(t.bodies()[1]).toEqual({ ...BARE_DOWN, reasons: ['unsafe'] });
    await hidePageAndFlush(t.outbox);
    expect(t.requests).toHaveLength(2);
  });

  it('a down vote chosen but not sent goes out bare, once, when the widget is removed', async () => {
    const t = setup();
    await t.user.click(t.down());
    t.view.unmount();
    await waitFor(() => expect(t.requests).toHaveLength(1));
    expect(t.bodies()).toEqual([BARE_DOWN]);
    await hidePageAndFlush(t.outbox);
    expect(t.requests).toHaveLength(1);
  });

  it('pressing the already pressed thumb sends nothing new', async () => {
    const t = setup();
    await t.user.click(t.up());
    await t.user.click(t.up());
    await waitFor(() => expect(t.root().dataset.status).toBe('sent'));
    expect(t.requests).toHaveLength(1);
  });

  it('offers configured reasons and sends their stable ids', async () => {
    const t = setup({ reasons: ['incorrect', { id: 'too_long', label: 'Too long' }, 'made_up'] });
    await t.user.click(t.down());
    const chips = within(details() as HTMLElement).getAllByRole('button');
    expect(chips.map((c) => c.textContent)).toEqual(['Incorrect', 'Too long', 'made_up']);
    await t.user.click(screen.getByRole('button', { name: 'Too long' }));
    await t.user.click(screen.getByRole('button', { name: 'Send feedback' }));
    await waitFor(() => expect(t.root().dataset.status).toBe('sent'));
    expect(t.bodies()).toEqual([{ ...BARE_DOWN, reasons: ['too_long'] }]);
  });

  it('limits the comment to 2000 and the correction to 8000 characters', async () => {
    setup();
    await userEvent.click(screen.getByRole('button', { name: 'Not helpful' }));
    expect(screen.getByRole('textbox', { name: 'Comment (optional)' }).getAttribute('maxlength')).toBe(
      '2000',
    );
    expect(
      screen.getByRole('textbox', { name: 'What should it have said? (optional)' }).getAttribute('maxlength'),
    ).toBe('8000');
  });

  it('takes every text from `strings`', async () => {
    const t = setup({
      strings: {
        prompt: 'War die Antwort hilfreich?',
        up: 'Hilfreich',
        down: 'Nicht hilfreich',
        reasonsLabel: 'Was war falsch?',
        commentLabel: 'Kommentar',
        correctionLabel: 'Was hätte sie sagen sollen?',
        submit: 'Senden',
        skip: 'Überspringen',
        thanks: 'Danke!',
        reasonLabels: { incorrect: 'Falsch', other: 'Anderes' },
      },
    });
    expect(screen.getByRole('group', { name: 'War die Antwort hilfreich?' })).toBeTruthy();
    await t.user.click(screen.getByRole('button', { name: 'Nicht hilfreich' }));
    const chips = within(screen.getByRole('group', { name: 'Was war falsch?' })).getAllByRole('button');
    expect(chips.map((c) => c.textContent)).toEqual([
      'Falsch',
      'Unhelpful',
      'Wrong format',
      'Unsafe',
      'Anderes',
    ]);
    expect(screen.getByRole('textbox', { name: 'Kommentar' })).toBeTruthy();
    expect(screen.getByRole('textbox', { name: 'Was hätte sie sagen sollen?' })).toBeTruthy();
    await t.user.click(screen.getByRole('button', { name: 'Senden' }));
    expect(t.status().textContent).toBe('Danke!');
    await waitFor(() => expect(t.requests).toHaveLength(1));
    expect(screen.getByRole('button', { name: 'Hilfreich' })).toBeTruthy();
    for (const english of ['Was this response helpful?', 'What went wrong?', 'Send feedback', 'Skip'])
      expect(screen.queryByText(english)).toBeNull();
  });

  it('renders HTML in any prop as text, never as markup', async () => {
    const html = '<img src=x onerror="window.__pwned=1"><b>bold</b>';
    const t = setup({
      interactionId: html,
      className: `x" onclick="window.__pwned=1`,
      reasons: [{ id: 'r', label: html }, html],
      strings: {
        prompt: html,
        up: html,
        down: `${html} down`,
        reasonsLabel: html,
        commentLabel: html,
        thanks: html,
      },
    });
    await t.user.click(screen.getByRole('button', { name: `${html} down` }));
    const chips = within(t.root().querySelector('.fw-chips') as HTMLElement).getAllByRole('button');
    expect(chips.map((c) => c.textContent)).toEqual([html, html]);
    await t.user.click(chips[1] as HTMLElement);
    await t.user.click(screen.getByRole('button', { name: 'Send feedback' }));
    const root = t.root();
    expect(root.querySelector('img, b')).toBeNull();
    expect(root.getAttribute('onclick')).toBeNull();
    expect(screen.getAllByText(html, { exact: true }).length).toBeGreaterThanOrEqual(4);
    expect((window as { __pwned?: number }).__pwned).toBeUndefined();
    await waitFor(() => expect(t.requests).toHaveLength(1));
    expect(t.bodies()).toEqual([{ interaction_id: html, token: 'tok-1', rating: 'down', reasons: [html] }]);
  });

  it('says so when the service refuses the vote (401) and does not retry it', async () => {
    const t = setup({}, [failure(401, 'invalid_token')]);
    await t.user.click(t.up());
    await waitFor(() => expect(t.root().dataset.status).toBe('error'));
    expect(t.status().textContent).toBe("Sorry, your feedback couldn't be sent.");
    await act(async () => {
      window.dispatchEvent(new Event('online'));
      await t.outbox.flush();
    });
    expect(t.requests).toHaveLength(1);
  });

  it('retries a 503 and ends up sent', async () => {
    const t = setup({}, [failure(503, 'unavailable'), accepted('fb-9')]);
    await t.user.click(t.up());
    await waitFor(() => expect(t.root().dataset.status).toBe('sent'));
    expect(t.requests).toHaveLength(2);
    expect(t.status().textContent).toBe('Thanks for your feedback!');
  });

  it('queues a vote made offline, survives a reload, and sends it exactly once when back online', async () => {
    const online = jest.spyOn(navigator, 'onLine', 'get').mockReturnValue(false);
    const t = setup();
    await t.chooseDown('Unsafe');
    await t.user.click(screen.getByRole('button', { name: 'Send feedback' }));
    await waitFor(() => expect(t.root().dataset.status).toBe('queued'));
    expect(t.status().textContent).toBe("Saved. It will be sent when you're back online.");
    expect(t.requests).toEqual([]);
    expect(JSON.parse(t.storage.getItem(queueKey(ENDPOINT)) ?? '[]')).toHaveLength(1);

    // Reload while still offline: a fresh widget on the same outbox shows the queued vote.
    t.view.unmount();
    const again = render(t.widget());
    expect(pressed(screen.getByRole('button', { name: 'Not helpful' }))).toBe('true');
    expect(screen.getByRole('status').textContent).toBe("Saved. It will be sent when you're back online.");
    await act(() => t.outbox.flush()); // the flush on mount, still offline
    expect(t.requests).toEqual([]);

    online.mockReturnValue(true);
    await act(async () => {
      window.dispatchEvent(new Event('online'));
      window.dispatchEvent(new Event('online'));
    });
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe('Thanks for your feedback!'));
    expect(t.bodies()).toEqual([{ ...BARE_DOWN, reasons: ['unsafe'] }]);
    await waitFor(() => expect(t.storage.getItem(queueKey(ENDPOINT))).toBeNull());

    again.unmount();
    render(t.widget());
    await act(async () => {
      window.dispatchEvent(new Event('online'));
      await t.outbox.flush();
    });
    expect(t.requests).toHaveLength(1);
  });

  it('sends through the global fetch when no outbox is given', async () => {
    localStorage.clear();
    const fetch = jest.fn(async () => response(accepted('fb-global')));
    const original = globalThis.fetch;
    globalThis.fetch = fetch as unknown as typeof globalThis.fetch;
    try {
      const user = userEvent.setup();
      render(<FeedbackWidget interactionId="int-g" token="tok-g" endpoint={`${ENDPOINT}/`} />);
      await user.click(screen.getByRole('button', { name: 'Helpful' }));
      await waitFor(() => expect(screen.getByRole('status').textContent).toBe('Thanks for your feedback!'));
      await waitFor(() =>
        expect(document.querySelector('.fw-root')?.getAttribute('data-status')).toBe('sent'),
      );
      expect(fetch).toHaveBeenCalledTimes(1);
      const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
      expect(url).toBe(`${ENDPOINT}/v1/feedback`);
      expect(init).toMatchObject({
        method: 'POST',
        credentials: 'omit',
        keepalive: true,
        headers: { 'content-type': 'application/json' },
      });
      expect(JSON.parse(init.body as string)).toEqual({
        interaction_id: 'int-g',
        token: 'tok-g',
        rating: 'up',
      });
      expect(init.signal).toBeInstanceOf(AbortSignal);
      expect(localStorage.length).toBe(0); // nothing of the vote stays behind
    } finally {
      globalThis.fetch = original;
    }
  });

  it('carries its stylesheet (dark scheme, reduced motion) unless `unstyled`', () => {
    const t = setup();
    const css = t.view.container.querySelector('style')?.textContent ?? '';
    expect(css).toContain('@media (prefers-color-scheme:dark)');
    expect(css).toContain('@media (prefers-reduced-motion:reduce)');
    expect(css).toContain(':focus-visible');
    t.view.rerender(t.widget({ unstyled: true, className: 'mine' }));
    expect(t.view.container.querySelector('style')).toBeNull();
    expect(t.root().className).toBe('fw-root mine');
  });

  it('points aria-controls at the details form', async () => {
    const t = setup();
    await t.user.click(t.down());
    const form = document.getElementById(t.down().getAttribute('aria-controls') ?? '');
    expect(form?.tagName).toBe('FORM');
    expect(form?.contains(details())).toBe(true);
  });
});
