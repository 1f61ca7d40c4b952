import { screen, waitFor, within } from '@testing-library/react';
import type { EvalRunSummary, ParkedVote } from '@flywheel/contracts';
import { makeCase, makeList } from './testing/fake-curator';
import { renderConsole } from './testing/render-console';

afterEach(() => {
  window.history.replaceState(null, '', '/console/');
  jest.restoreAllMocks();
});

const parked: ParkedVote[] = [
  {
    feedback_id: 'fb-p1',
    interaction_id: 'int-lost-1',
    route: 'support',
    variant: 'candidate',
    rating: 'down',
    reasons: ['incorrect', 'unsafe'],
    comment: 'Never got <b>an answer</b>',
    received_at: '2025-06-01T10:00:00.000Z',
    parked_at: '2025-06-01T10:10:00.000Z',
  },
  {
    feedback_id: 'fb-p2',
    interaction_id: 'int-lost-2',
    route: null,
    variant: 'control',
    rating: 'up',
    reasons: [],
    received_at: '2025-06-01T11:00:00.000Z',
    parked_at: '2025-06-01T11:10:00.000Z',
  },
];

const run = (overrides: Partial<EvalRunSummary>): EvalRunSummary => ({
  id: 'run-1',
  route: 'support',
  variant: 'candidate',
  started_at: '2025-06-03T08:00:00.000Z',
  finished_at: '2025-06-03T08:02:00.000Z',
  repeat: 3,
  min_pass_rate: 0.9,
  case_threshold: 0.67,
  total: 20,
  passed: 17,
  failed: 2,
  flaky: 1,
  errored: 0,
  pass_rate: 0.9,
  regressions: [],
  gate: 'pass',
  ...overrides,
});

describe('parked votes', () => {
  it('lists votes that were never joined, comments as text', async () => {
    const t = renderConsole({ hash: '#/parked', parked });
    const table = await screen.findByRole('table', { name: '2 parked votes' });
    expect(table.querySelector('caption')?.textContent).toBe('2 parked votes');
    const rows = within(table).getAllByRole('row').slice(1);
    expect(
      rows
        .map((r) =>
          within(r)
            .getAllByRole('cell')
            .map((c) => c.textContent),
        )
        .map((cells) => cells.slice(1)),
    ).toEqual([
      ['support', 'candidate', 'down', 'incorrect, unsafe', 'Never got <b>an answer</b>', 'int-lost-1'],
      ['—', 'control', 'up', '', '', 'int-lost-2'],
    ]);
    expect(table.querySelector('b')).toBeNull();
    expect(t.curator.calls('GET', '/v1/parked')).toHaveLength(1);
  });

  it('says when there are none', async () => {
    renderConsole({ hash: '#/parked' });
    expect(await screen.findByText('No parked votes.')).toBeTruthy();
    expect(await screen.findByText('No votes yet.')).toBeTruthy();
  });

  it('counts the current votes per route and variant', async () => {
    renderConsole({
      hash: '#/parked',
      votes: [
        { route: 'support', variant: 'candidate', up: 12, down: 3 },
        { route: null, variant: 'direct', up: 0, down: 1 },
      ],
    });
    const table = await screen.findByRole('table', { name: 'Votes per route and variant' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(
      rows.map((r) =>
        within(r)
          .getAllByRole('cell')
          .map((c) => c.textContent),
      ),
    ).toEqual([
      ['support', 'candidate', '12', '3'],
      ['—', 'direct', '0', '1'],
    ]);
  });
});

describe('eval runs', () => {
  it('lists runs with gate, pass rate and counts', async () => {
    renderConsole({
      hash: '#/runs',
      runs: [
        run({}),
        run({
          id: 'run-2',
          variant: 'gpt-5',
          gate: 'fail',
          pass_rate: 0.75,
          passed: 14,
          failed: 5,
          regressions: ['c1', 'c2'],
        }),
      ],
    });
    const table = await screen.findByRole('table');
    const rows = within(table).getAllByRole('row').slice(1);
    expect(
      rows.map((r) =>
        within(r)
          .getAllByRole('cell')
          .map((c) => c.textContent)
          .slice(1),
      ),
    ).toEqual([
      ['support', 'candidate', 'pass', '90.0% (min 90.0%)', '20', '17', '2', '1', '0', '0'],
      ['support', 'gpt-5', 'fail', '75.0% (min 90.0%)', '20', '14', '5', '1', '0', '2'],
    ]);
  });

  it('says how to make one when there are none', async () => {
    renderConsole({ hash: '#/runs' });
    expect((await screen.findByText(/No eval runs yet/)).textContent).toBe(
      'No eval runs yet. Run flywheel eval run --route R --variant V.',
    );
  });
});

describe('export', () => {
  const line = (id: string) =>
    JSON.stringify({
      case_id: id,
      route: 'support',
      assertions: [{ type: 'contains', value: '<script>x</script>' }],
    });
  const jsonl = `${line('c1')}\n${line('c2')}\n`;
  const list = makeList([makeCase({ id: 'c1' }), makeCase({ id: 'c2', route: 'billing' })]);

  it('previews a route set as text', async () => {
    const t = renderConsole({ hash: '#/export', list, exports: { support: jsonl } });
    await t.user.click(await screen.findByRole('button', { name: 'Preview support' }));
    const preview = await screen.findByRole('region', { name: 'support: 2 accepted cases' });
    expect([...preview.querySelectorAll('pre')].map((pre) => JSON.parse(pre.textContent ?? ''))).toEqual([
      JSON.parse(line('c1')),
      JSON.parse(line('c2')),
    ]);
    expect(preview.querySelector('script')).toBeNull();
    expect(t.curator.calls('GET', '/v1/eval-sets/support')[0]?.query).toEqual({ format: 'jsonl' });
    expect(screen.getByRole('button', { name: 'Preview billing' })).toBeTruthy();
  });

  it('downloads a route set as a .jsonl file, fetched with the token', async () => {
    const created: Blob[] = [];
    const clicked: { href: string; download: string }[] = [];
    URL.createObjectURL = (blob: Blob) => {
      created.push(blob);
      return 'blob:console/1';
    };
    URL.revokeObjectURL = () => {};
    jest.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push({ href: this.href, download: this.download });
    });
    const t = renderConsole({ hash: '#/export', list, exports: { support: jsonl } });
    await t.user.click(await screen.findByRole('button', { name: 'Download support.jsonl' }));
    await waitFor(() => expect(clicked).toEqual([{ href: 'blob:console/1', download: 'support.jsonl' }]));
    expect(await readText(created[0]!)).toBe(jsonl);
    expect(t.curator.calls('GET', '/v1/eval-sets/support')[0]?.authorization).toMatch(/^Bearer /);
  });
});

/** jsdom's Blob has no text(): read it the old way. */
function readText(blob: Blob): Promise<unknown> {
  return new Promise((resolve) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.readAsText(blob);
  });
}
