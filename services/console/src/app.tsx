import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { CuratorApi, type Fetch } from './api';
import { CaseView } from './case/case-view';
import { ExportView } from './export/export-view';
import { HelpPanel } from './help-panel';
import { ParkedView } from './parked/parked-view';
import { QueueView } from './queue/queue-view';
import { DEFAULT_QUEUE, formatRoute, type Route, useRoute } from './router';
import { type TokenStore } from './session';
import { useShortcuts } from './shortcuts';
import { RolloutsView } from './rollouts/rollouts-view';
import { RunsView } from './runs/runs-view';
import { TokenPrompt } from './token-prompt';

const UNAUTHORIZED =
  'The curator did not accept that token. Enter the admin token (FLYWHEEL_ADMIN_TOKEN) again.';

const NAV: { view: Route['view']; label: string; route: Route }[] = [
  { view: 'queue', label: 'Queue', route: DEFAULT_QUEUE },
  { view: 'parked', label: 'Parked votes', route: { view: 'parked' } },
  { view: 'runs', label: 'Eval runs', route: { view: 'runs' } },
  { view: 'rollouts', label: 'Rollouts', route: { view: 'rollouts' } },
  { view: 'export', label: 'Export', route: { view: 'export' } },
];

export interface AppProps {
  fetch: Fetch;
  tokens: TokenStore;
}

export function App({ fetch, tokens }: AppProps) {
  const [token, setToken] = useState(() => tokens.get());
  const [authMessage, setAuthMessage] = useState<string>();
  const [route, navigate] = useRoute();
  const [notice, setNotice] = useState('');
  const [helpOpen, setHelpOpen] = useState(false);
  // The queue the reviewer came from, so "back" keeps the filters.
  const lastQueue = useRef<Route>(DEFAULT_QUEUE);
  if (route.view === 'queue') lastQueue.current = route;

  const api = useMemo(() => {
    if (!token) return null;
    return new CuratorApi(token, fetch, () => {
      tokens.clear();
      setToken(null);
      setAuthMessage(UNAUTHORIZED);
    });
  }, [token, fetch, tokens]);

  // A notice (e.g. "Case accepted") belongs to the navigation that made it; any other route
  // change, a nav link or the back button, clears it.
  const noticeFor = useRef<string>('');
  const go = useCallback(
    (next: Route, message = '') => {
      noticeFor.current = message ? formatRoute(next) : '';
      setNotice(message);
      navigate(next);
    },
    [navigate],
  );
  const here = formatRoute(route);
  useEffect(() => {
    if (noticeFor.current !== here) setNotice('');
  }, [here]);

  useShortcuts({ '?': () => setHelpOpen((open) => !open) }, api !== null);

  if (!api) {
    return (
      <TokenPrompt
        message={authMessage}
        onToken={(t) => {
          tokens.set(t);
          setAuthMessage(undefined);
          setToken(t);
        }}
      />
    );
  }

  const signOut = () => {
    tokens.clear();
    setToken(null);
    setAuthMessage(undefined);
  };

  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Flywheel console</span>
        <nav aria-label="Views">
          <ul>
            {NAV.map((item) => (
              <li key={item.view}>
                <a
                  href={formatRoute(item.view === 'queue' ? lastQueue.current : item.route)}
                  aria-current={
                    route.view === item.view || (item.view === 'queue' && route.view === 'case')
                      ? 'page'
                      : undefined
                  }
                >
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <button type="button" className="link" onClick={() => setHelpOpen(true)} aria-keyshortcuts="?">
          Shortcuts
        </button>
        <button type="button" className="link" onClick={signOut}>
          Sign out
        </button>
      </header>
      <p role="status" className="notice">
        {notice}
      </p>
      <main id="main" tabIndex={-1}>
        {route.view === 'queue' && (
          <QueueView
            api={api}
            filters={route.filters}
            offset={route.offset}
            onNavigate={go}
            shortcuts={!helpOpen}
          />
        )}
        {route.view === 'case' && (
          <CaseView
            key={route.id}
            api={api}
            id={route.id}
            action={route.action}
            back={lastQueue.current}
            onNavigate={go}
            shortcuts={!helpOpen}
          />
        )}
        {route.view === 'parked' && <ParkedView api={api} />}
        {route.view === 'runs' && <RunsView api={api} />}
        {route.view === 'rollouts' && <RolloutsView api={api} />}
        {route.view === 'export' && <ExportView api={api} />}
      </main>
      {helpOpen && <HelpPanel onClose={() => setHelpOpen(false)} />}
    </>
  );
}
