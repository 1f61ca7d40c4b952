import { screen, waitFor } from '@testing-library/react';
import { error, TOKEN } from './testing/fake-curator';
import { renderConsole } from './testing/render-console';

describe('signing in', () => {
  it('asks for the admin token once, keeps it for the session and sends it as a bearer token', async () => {
    const { curator, tokens, user } = renderConsole({ token: null });
    const input = screen.getByLabelText('Admin token');
    expect(input.getAttribute('type')).toBe('password');
    expect(curator.requests).toEqual([]);

    await user.type(input, `  ${TOKEN} `);
    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    await screen.findByRole('heading', { name: 'Triage queue' });
    expect(tokens.value).toBe(TOKEN);
    await waitFor(() => expect(curator.calls('GET', '/v1/cases')).toHaveLength(1));
    expect(curator.requests.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it('goes back to the token prompt with a clear message when the curator answers 401', async () => {
    const { curator, tokens, user } = renderConsole({ token: 'stale-token' });
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe(
      'The curator did not accept that token. Enter the admin token (FLYWHEEL_ADMIN_TOKEN) again.',
    );
    expect(tokens.value).toBeNull();
    expect(curator.requests.map((r) => r.authorization)).toEqual(['Bearer stale-token']);

    await user.type(screen.getByLabelText('Admin token'), TOKEN);
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('link', { name: 'When will order case-1 arrive?' })).toBeTruthy();
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('signs out: the token is forgotten', async () => {
    const { tokens, user } = renderConsole();
    await user.click(await screen.findByRole('button', { name: 'Sign out' }));
    expect(tokens.value).toBeNull();
    expect(screen.getByLabelText('Admin token')).toBeTruthy();
  });
});

describe('errors and help', () => {
  it("shows the curator's error message as text", async () => {
    renderConsole({
      hash: '#/parked',
      on: (req) =>
        req.path === '/v1/parked' ? error(503, 'not_ready', 'Postgres is <b>down</b>') : undefined,
    });
    expect((await screen.findByRole('alert')).textContent).toBe('Postgres is <b>down</b>');
    expect(document.querySelector('b')).toBeNull();
  });

  it('says so when the curator cannot be reached', async () => {
    renderConsole({
      hash: '#/runs',
      on: () => {
        throw new TypeError('Failed to fetch');
      },
    });
    expect((await screen.findByRole('alert')).textContent).toBe(
      'Could not reach the curator. Check that it is running.',
    );
  });

  it('? shows the shortcuts, Escape hides them and focus returns', async () => {
    const { user } = renderConsole();
    await screen.findByRole('heading', { name: 'Triage queue' });
    const opener = screen.getByRole('button', { name: 'Shortcuts' });
    opener.focus();
    await user.keyboard('?');
    const help = screen.getByRole('dialog', { name: 'Keyboard shortcuts' });
    expect(help.textContent).toContain('Next / previous case in the queue');
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Close' }));
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(document.activeElement).toBe(opener);
  });
});
