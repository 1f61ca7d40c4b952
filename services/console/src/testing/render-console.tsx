import { render } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { App } from '../app';
import { fakeCurator, type FakeCuratorFixtures, type Handler, memoryTokens, TOKEN } from './fake-curator';

/**
 * Renders the whole console at `hash` against a fake curator, signed in unless `token` is null;
 * `on` answers requests ahead of the fixtures from the first request on.
 */
export function renderConsole({
  hash = '',
  token = TOKEN,
  on,
  ...fixtures
}: FakeCuratorFixtures & { hash?: string; token?: string | null; on?: Handler } = {}) {
  window.history.replaceState(null, '', `/console/${hash}`);
  const curator = fakeCurator(fixtures);
  if (on) curator.on(on);
  const tokens = memoryTokens(token);
  const user = userEvent.setup();
  const view = render(<App fetch={curator.fetch} tokens={tokens} />);
  return { curator, tokens, user, view };
}
