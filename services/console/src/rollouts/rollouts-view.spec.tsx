import { act, screen, waitFor, within } from '@testing-library/react';
import type { RolloutState } from '@flywheel/contracts';
import { error, TOKEN } from '../testing/fake-curator';
import { renderConsole } from '../testing/render-console';

afterEach(() => {
  window.history.replaceState(null, '', '/console/');
});

const HALT_REASON =
  'halted: dislike_rate: candidate − control = +0.120, always-valid 97.50 % interval [+0.031, +0.209], allowed +0.020';

const rollout = (over: Partial<RolloutState> = {}): RolloutState => ({
  route: 'demo-chat',
  control: 'control',
  candidate: 'candidate',
  status: 'halted',
  reason: HALT_REASON,
  step_index: 1,
  percent: 0,
  steps: [1, 5, 25, 50, 100],
  variants: {
    control: {
      interactions: 400,
      votes_up: 90,
      votes_down: 10,
      dislike_rate: 0.1,
      error_rate: 0.005,
      latency_p95_ms: 812.4,
      cost_per_interaction: 0.00031,
    },
    candidate: {
      interactions: 100,
      votes_up: 78,
      votes_down: 22,
      dislike_rate: 0.22,
      error_rate: null,
      latency_p95_ms: null,
      cost_per_interaction: null,
    },
  },
  intervals: [
    {
      metric: 'dislike_rate',
      kind: 'increase',
      estimate: 0.12,
      lower: 0.031,
      upper: 0.209,
      limit: 0.02,
      alpha: 0.025,
      violated: true,
    },
    {
      metric: 'latency_p95_ms',
      kind: 'ratio',
      estimate: null,
      lower: null,
      upper: null,
      limit: 1.25,
      alpha: 0.025,
      violated: false,
    },
  ],
  gate: { status: 'none', note: 'no accepted regression cases yet' },
  decisions: [
    {
      at: '2025-06-02T10:05:00.000Z',
      kind: 'halt',
      from_percent: 5,
      to_percent: 0,
      reason: HALT_REASON,
      evidence: {},
    },
    {
      at: '2025-06-02T10:00:00.000Z',
      kind: 'advance',
      from_percent: 1,
      to_percent: 5,
      reason:
        'advanced 1 % → 5 %: step evidence met, no guardrail violated, no regression cases yet <b>x</b>',
      evidence: {},
    },
  ],
  ...over,
});

const cells = (row: HTMLElement) =>
  within(row)
    .getAllByRole('cell')
    .map((c) => c.textContent);

describe('rollouts', () => {
  it('shows a halted rollout with its reason, the evidence per variant, the guardrails, the gate and the log', async () => {
    renderConsole({ hash: '#/rollouts', rollouts: [rollout()] });
    const panel = await screen.findByRole('region', { name: 'demo-chat halted' });
    expect(within(panel).getByLabelText('Reason for demo-chat').textContent).toBe(HALT_REASON);
    expect(panel.textContent).toContain('0 % of users on candidate');
    expect(panel.textContent).toContain('halted at step 2 of 5');

    const variants = within(panel).getByRole('table', { name: 'demo-chat: evidence per variant' });
    expect(within(variants).getAllByRole('row').slice(1).map(cells)).toEqual([
      ['controlcontrol', '400', '90', '10', '10.0 %', '0.5 %', '812 ms', '$0.00031'],
      ['candidatecandidate', '100', '78', '22', '22.0 %', '—', '—', '—'],
    ]);
    const guardrails = within(panel).getByRole('table', {
      name: 'demo-chat: guardrails, candidate vs control',
    });
    expect(within(guardrails).getAllByRole('row').slice(1).map(cells)).toEqual([
      [
        'dislike_ratecandidate − control',
        '+12.0 pts',
        '[+3.1 pts, +20.9 pts] 97.5 %',
        '+2.0 pts',
        'violated',
      ],
      ['latency_p95_mscandidate / control', 'n/a', '[×0, +∞] 97.5 %', '×1.25', 'no data yet'],
    ]);
    expect(within(panel).getByLabelText('Regression gate of demo-chat').textContent).toBe(
      'Regression gate: none — no accepted regression cases yet',
    );
    const log = within(panel).getByRole('table', { name: 'demo-chat: decision log' });
    const rows = within(log).getAllByRole('row').slice(1);
    expect(cells(rows[0]!).slice(1)).toEqual(['halt', '5 % → 0 %', HALT_REASON]);
    // text from the controller stays text
    expect(cells(rows[1]!)[3]).toContain('<b>x</b>');
    expect(log.querySelector('b')).toBeNull();
    // halted: it can be restarted, not paused or rolled back again
    const actions = within(panel).getByRole('group', { name: 'Actions on demo-chat' });
    expect(
      within(actions)
        .getAllByRole('button')
        .map((b) => b.textContent),
    ).toEqual(['Restart']);
  });

  it('pauses a running rollout with the admin token, says so and shows the new state', async () => {
    let current = rollout({ status: 'running', reason: undefined, percent: 5 });
    const t = renderConsole({
      hash: '#/rollouts',
      on: (req) => {
        if (req.authorization !== `Bearer ${TOKEN}`) return undefined;
        if (req.method === 'GET' && req.path === '/v1/rollouts')
          return { status: 200, body: { rollouts: [current] } };
        if (req.method === 'POST' && req.path === '/v1/rollouts/demo-chat/pause') {
          current = { ...current, status: 'paused', reason: 'paused by an admin' };
          return { status: 200, body: current };
        }
        return undefined;
      },
    });
    const panel = await screen.findByRole('region', { name: 'demo-chat running' });
    const actions = within(panel).getByRole('group', { name: 'Actions on demo-chat' });
    expect(
      within(actions)
        .getAllByRole('button')
        .map((b) => b.textContent),
    ).toEqual(['Pause', 'Advance now', 'Roll back…']);
    await t.user.click(within(actions).getByRole('button', { name: 'Pause' }));
    expect(await screen.findByText('demo-chat: paused, 5 % of users on candidate.')).toBeTruthy();
    expect(t.curator.calls('POST', '/v1/rollouts/demo-chat/pause')[0]?.authorization).toBe(`Bearer ${TOKEN}`);
    const paused = await screen.findByRole('region', { name: 'demo-chat paused' });
    expect(within(paused).getByLabelText('Reason for demo-chat').textContent).toBe('paused by an admin');
    expect(within(paused).getByRole('button', { name: 'Resume' })).toBeTruthy();
  });

  it('rolls back only after a confirmation', async () => {
    const t = renderConsole({
      hash: '#/rollouts',
      rollouts: [rollout({ status: 'running', reason: undefined, percent: 5 })],
      on: (req) =>
        req.method === 'POST' && req.path === '/v1/rollouts/demo-chat/rollback'
          ? { status: 200, body: rollout({ reason: 'rolled back by an admin' }) }
          : undefined,
    });
    await t.user.click(await screen.findByRole('button', { name: 'Roll back…' }));
    expect(t.curator.calls('POST', '/v1/rollouts/demo-chat/rollback')).toHaveLength(0);
    expect(screen.getByText(/Every user goes back to control/)).toBeTruthy();
    await t.user.click(screen.getByRole('button', { name: 'Cancel' }));
    await t.user.click(screen.getByRole('button', { name: 'Roll back…' }));
    await t.user.click(screen.getByRole('button', { name: 'Roll back to control' }));
    expect(await screen.findByText('demo-chat: rolled back, 0 % of users on candidate.')).toBeTruthy();
    expect(t.curator.calls('POST', '/v1/rollouts/demo-chat/rollback')).toHaveLength(1);
  });

  it("shows the controller's reason when it refuses an action", async () => {
    const t = renderConsole({
      hash: '#/rollouts',
      rollouts: [rollout({ status: 'holding', reason: 'holding: sample-ratio mismatch', percent: 5 })],
      on: (req) =>
        req.method === 'POST' && req.path === '/v1/rollouts/demo-chat/advance'
          ? error(409, 'conflict', 'guardrail violated: dislike_rate: candidate − control = +0.120')
          : undefined,
    });
    await t.user.click(await screen.findByRole('button', { name: 'Advance now' }));
    expect((await screen.findByRole('alert')).textContent).toBe(
      'demo-chat: guardrail violated: dislike_rate: candidate − control = +0.120',
    );
  });

  it('asks for the admin token again when an action is refused for the token', async () => {
    const t = renderConsole({
      hash: '#/rollouts',
      rollouts: [rollout({ status: 'running', reason: undefined, percent: 5 })],
      on: (req) =>
        req.method === 'POST' ? error(401, 'unauthorized', 'a valid admin token is required') : undefined,
    });
    await t.user.click(await screen.findByRole('button', { name: 'Pause' }));
    expect(await screen.findByText(/did not accept that token/)).toBeTruthy();
    expect(screen.getByLabelText('Admin token')).toBeTruthy();
    expect(screen.queryByRole('region', { name: /demo-chat/ })).toBeNull();
    expect(t.tokens.value).toBeNull();
  });

  it('says when there is no plan', async () => {
    renderConsole({ hash: '#/rollouts' });
    expect(await screen.findByText(/No rollout plans/)).toBeTruthy();
  });

  it('explains a curator without a rollout controller', async () => {
    renderConsole({
      hash: '#/rollouts',
      on: (req) =>
        req.path === '/v1/rollouts'
          ? error(501, 'not_configured', 'the rollout controller is not configured: set CURATOR_ROLLOUTS_URL')
          : undefined,
    });
    expect((await screen.findByRole('alert')).textContent).toContain('CURATOR_ROLLOUTS_URL');
  });

  it('refreshes by itself, so a decision shows up without a reload', async () => {
    jest.useFakeTimers({ advanceTimers: true });
    try {
      let current = rollout({ status: 'running', reason: undefined, percent: 1, step_index: 0 });
      renderConsole({
        hash: '#/rollouts',
        on: (req) =>
          req.method === 'GET' && req.path === '/v1/rollouts'
            ? { status: 200, body: { rollouts: [current] } }
            : undefined,
      });
      await screen.findByRole('region', { name: 'demo-chat running' });
      current = { ...current, status: 'halted', percent: 0, reason: HALT_REASON };
      act(() => jest.advanceTimersByTime(5_000));
      await waitFor(() => expect(screen.getByRole('region', { name: 'demo-chat halted' })).toBeTruthy());
    } finally {
      jest.useRealTimers();
    }
  });
});
