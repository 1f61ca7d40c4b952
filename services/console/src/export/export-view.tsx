import { useState } from 'react';
import type { CuratorApi } from '../api';
import { LoadState } from '../load-state';
import { TableHead } from '../table-head';
import { useLoad } from '../use-load';

const PREVIEW_LINES = 20;

interface Preview {
  route: string;
  lines: string[];
}

/** Each route's regression set (its accepted cases) as JSONL: download it or look at it. */
export function ExportView({ api }: { api: CuratorApi }) {
  // Any case query carries the per-route counts; one row is enough.
  const load = useLoad(() => api.listCases({}, { limit: 1, offset: 0 }), 'export');
  const [preview, setPreview] = useState<Preview>();
  const [busy, setBusy] = useState('');
  const [error, setError] = useState('');
  const routes = Object.keys(load.data?.counts.by_route ?? {}).sort();

  const fetchSet = async (route: string, then: (jsonl: string) => void) => {
    setBusy(route);
    setError('');
    try {
      then(await api.exportSet(route));
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy('');
    }
  };
  const download = (route: string) =>
    fetchSet(route, (jsonl) => {
      // The export needs the bearer token, so a plain link cannot fetch it: hand the browser
      // the body we fetched as a file.
      const url = URL.createObjectURL(new Blob([jsonl], { type: 'application/x-ndjson' }));
      const link = document.createElement('a');
      link.href = url;
      link.download = `${route}.jsonl`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    });
  const show = (route: string) =>
    fetchSet(route, (jsonl) =>
      setPreview({ route, lines: jsonl.split('\n').filter((l) => l.trim() !== '') }),
    );

  return (
    <section aria-labelledby="export-title">
      <h1 id="export-title">Export regression sets</h1>
      <p className="hint">
        A route&apos;s set holds its accepted cases, one JSON object per line: what{' '}
        <code>flywheel eval run</code> replays.
      </p>
      <LoadState load={load} what="routes" />
      {load.data && routes.length === 0 && <p>No route has cases yet.</p>}
      {routes.length > 0 && (
        <table>
          <TableHead columns={['Route', 'Set']} />
          <tbody>
            {routes.map((route) => (
              <tr key={route}>
                <td>{route}</td>
                <td>
                  <div className="actions">
                    <button type="button" disabled={busy === route} onClick={() => void download(route)}>
                      Download {route}.jsonl
                    </button>
                    <button
                      type="button"
                      className="secondary"
                      disabled={busy === route}
                      onClick={() => void show(route)}
                    >
                      Preview {route}
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {preview && (
        <section aria-labelledby="preview-title" className="preview">
          <h2 id="preview-title">
            {preview.route}: {preview.lines.length} accepted {preview.lines.length === 1 ? 'case' : 'cases'}
          </h2>
          {preview.lines.length > PREVIEW_LINES && <p className="hint">The first {PREVIEW_LINES}:</p>}
          <ol className="jsonl">
            {preview.lines.slice(0, PREVIEW_LINES).map((line, i) => (
              <li key={i}>
                <pre>{pretty(line)}</pre>
              </li>
            ))}
          </ol>
        </section>
      )}
    </section>
  );
}

/** One JSONL line, indented for reading (as it came when it is not JSON). */
function pretty(line: string): string {
  try {
    return JSON.stringify(JSON.parse(line), null, 2);
  } catch {
    return line;
  }
}
