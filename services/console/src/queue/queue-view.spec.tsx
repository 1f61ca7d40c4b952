import { screen, waitFor, within } from '@testing-library/react';
import { makeCase, makeList } from '../testing/fake-curator';
import { renderConsole } from '../testing/render-console';

const cases = [
  makeCase({ id: 'c1', route: 'support', variant: 'control', reasons: ['incorrect'] }),
  makeCase({ id: 'c2', route: 'support', variant: 'candidate', reasons: ['wrong_format'] }),
  makeCase({ id: 'c3', route: 'billing', variant: 'candidate', reasons: ['unsafe', 'incorrect'], count: 4 }),
];
const list = makeList(cases, { by_status: { new: 3, accepted: 5, rejected: 1 } });

async function queue(options: Parameters<typeof renderConsole>[0] = {}) {
  const t = renderConsole({ list, ...options });
  await screen.findByRole('link', { name: 'When will order c1 arrive?' });
  const lastQuery = () => t.curator.calls('GET', '/v1/cases').at(-1)?.query;
  const rows = () => within(screen.getByRole('table')).getAllByRole('row').slice(1);
  const currentRow = () => rows().findIndex((r) => r.getAttribute('aria-current') === 'true');
  return { ...t, lastQuery, rows, currentRow };
}

afterEach(() => window.history.replaceState(null, '', '/console/'));

describe('the queue', () => {
  it('lists new cases with their counts', async () => {
    const t = await queue();
    expect(t.lastQuery()).toEqual({ status: 'new', limit: '50', offset: '0' });
    expect(t.rows()).toHaveLength(3);
    expect(within(t.rows()[2]!).getByText('4')).toBeTruthy();
    expect(screen.getByRole('table').querySelector('caption')?.textContent).toBe('Cases 1–3 of 3');
    const status = screen.getByLabelText('Status');
    expect(
      within(status)
        .getAllByRole('option')
        .map((o) => o.textContent),
    ).toEqual(['New (3)', 'Accepted (5)', 'Rejected (1)', 'All (9)']);
    expect(
      within(screen.getByLabelText('Route'))
        .getAllByRole('option')
        .map((o) => o.textContent),
    ).toEqual(['Any', 'billing (1)', 'support (2)']);
    expect(
      within(screen.getByLabelText('Reason'))
        .getAllByRole('option')
        .map((o) => o.textContent),
    ).toEqual(['Any', 'incorrect (2)', 'unsafe (1)', 'wrong_format (1)']);
  });

  it('builds the query from the filters and keeps them in the URL', async () => {
    const t = await queue();
    await t.user.selectOptions(screen.getByLabelText('Route'), 'support');
    await waitFor(() =>
      expect(t.lastQuery()).toEqual({ status: 'new', route: 'support', limit: '50', offset: '0' }),
    );
    await t.user.selectOptions(screen.getByLabelText('Variant'), 'candidate');
    await t.user.selectOptions(screen.getByLabelText('Reason'), 'incorrect');
    await t.user.type(screen.getByLabelText('Last seen from'), '2025-05-01');
    await t.user.type(screen.getByLabelText('Last seen until'), '2025-06-30');
    await t.user.selectOptions(screen.getByLabelText('Status'), 'All (9)');
    await waitFor(() =>
      expect(t.lastQuery()).toEqual({
        route: 'support',
        variant: 'candidate',
        reason: 'incorrect',
        since: '2025-05-01',
        until: '2025-06-30',
        limit: '50',
        offset: '0',
      }),
    );
    expect(window.location.hash).toBe(
      '#/queue?status=all&route=support&variant=candidate&reason=incorrect&since=2025-05-01&until=2025-06-30',
    );

    await t.user.click(screen.getByRole('button', { name: 'Reset filters' }));
    await waitFor(() => expect(t.lastQuery()).toEqual({ status: 'new', limit: '50', offset: '0' }));
  });

  it('reads its filters from the URL', async () => {
    const t = await queue({ hash: '#/queue?status=accepted&route=billing&offset=50' });
    expect(t.lastQuery()).toEqual({ status: 'accepted', route: 'billing', limit: '50', offset: '50' });
    expect((screen.getByLabelText('Route') as HTMLSelectElement).value).toBe('billing');
  });

  it('pages through more cases than fit on one page', async () => {
    const t = await queue({ list: { ...list, total: 120 } });
    expect(screen.getByRole('button', { name: 'Previous page' })).toHaveProperty('disabled', true);
    await t.user.click(screen.getByRole('button', { name: 'Next page' }));
    await waitFor(() => expect(t.lastQuery()).toMatchObject({ offset: '50' }));
  });
});

describe('queue shortcuts', () => {
  it('j and k move the selection; Enter and o open the selected case', async () => {
    const t = await queue();
    expect(t.currentRow()).toBe(0);
    await t.user.keyboard('jj');
    expect(t.currentRow()).toBe(2);
    expect(document.activeElement?.textContent).toBe('When will order c3 arrive?');
    await t.user.keyboard('j');
    expect(t.currentRow()).toBe(2);
    await t.user.keyboard('k');
    expect(t.currentRow()).toBe(1);
    await t.user.keyboard('{Enter}');
    await screen.findByRole('heading', { name: /^Case on support/ });
    expect(window.location.hash).toBe('#/case/c2');
  });

  it('o opens the selected case from anywhere on the page', async () => {
    const t = await queue();
    await t.user.keyboard('o');
    expect(window.location.hash).toBe('#/case/c1');
  });

  it('a opens the accept form and r the reject form of the selected case', async () => {
    const t = await queue();
    await t.user.keyboard('ja');
    expect(window.location.hash).toBe('#/case/c2?do=accept');
    await waitFor(() =>
      expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Accept case' })),
    );

    window.history.back();
    await screen.findByRole('heading', { name: 'Triage queue' });
    await screen.findByRole('table');
    await t.user.keyboard('r');
    expect(window.location.hash).toBe('#/case/c1?do=reject');
    await waitFor(() => expect(document.activeElement).toBe(screen.getByLabelText('Reason')));
  });

  it('does nothing while the reviewer types in a field', async () => {
    const t = await queue();
    const since = screen.getByLabelText('Last seen from');
    since.focus();
    await t.user.keyboard('jkoar');
    expect(t.currentRow()).toBe(0);
    expect(window.location.hash).toBe('');
  });
});

describe('bulk actions', () => {
  it('accepts the ticked cases with their suggested assertions', async () => {
    const t = await queue();
    await t.user.click(screen.getByRole('checkbox', { name: 'Tick: When will order c1 arrive?' }));
    await t.user.keyboard('jjx'); // x ticks the selected row (c3)
    expect(screen.getByText(/cases ticked/).textContent).toBe('2 cases ticked');
    await t.user.click(screen.getByRole('button', { name: 'Accept ticked with suggested assertions' }));
    await waitFor(() => expect(t.curator.calls('POST', '/v1/cases/bulk')).toHaveLength(1));
    expect(t.curator.calls('POST', '/v1/cases/bulk')[0]?.body).toEqual({
      action: 'accept',
      ids: ['c1', 'c3'],
    });
    expect((await screen.findByText('Accepted 2 of 2 cases.')).getAttribute('role')).toBe('status');
    expect(screen.queryByText(/ticked/)).toBeNull();
    await waitFor(() => expect(t.curator.calls('GET', '/v1/cases')).toHaveLength(2));
  });

  it('rejects the ticked cases with a reason, and says which failed', async () => {
    const t = await queue({
      on: (req) =>
        req.path === '/v1/cases/bulk'
          ? {
              status: 200,
              body: {
                results: [
                  { id: 'c1', ok: true },
                  { id: 'c2', ok: false, error: 'already triaged' },
                  { id: 'c3', ok: true },
                ],
              },
            }
          : undefined,
    });
    await t.user.click(screen.getByRole('checkbox', { name: 'Tick every case on this page' }));
    await t.user.keyboard('r'); // with ticked cases, r goes to the bulk reason
    expect(document.activeElement).toBe(screen.getByLabelText('Why reject them?'));
    await t.user.keyboard('duplicates of a known issue{Enter}');
    await waitFor(() => expect(t.curator.calls('POST', '/v1/cases/bulk')).toHaveLength(1));
    expect(t.curator.calls('POST', '/v1/cases/bulk')[0]?.body).toEqual({
      action: 'reject',
      ids: ['c1', 'c2', 'c3'],
      reason: 'duplicates of a known issue',
    });
    expect(await screen.findByText('Rejected 2 of 3 cases. Not done: c2 (already triaged).')).toBeTruthy();
  });
});
