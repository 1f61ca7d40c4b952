import type { CuratorApi } from '../api';
import { formatTime, percent } from '../format';
import { LoadState } from '../load-state';
import { TableHead } from '../table-head';
import { useLoad } from '../use-load';

/** Eval runs reported by `flywheel eval run`, newest first as the curator lists them. */
export function RunsView({ api }: { api: CuratorApi }) {
  const load = useLoad(() => api.evalRuns(), 'runs');
  const runs = load.data?.runs ?? [];
  return (
    <section aria-labelledby="runs-title">
      <h1 id="runs-title">Eval runs</h1>
      <LoadState load={load} what="eval runs" />
      {load.data && runs.length === 0 && (
        <p>
          No eval runs yet. Run <code>flywheel eval run --route R --variant V</code>.
        </p>
      )}
      {runs.length > 0 && (
        <table>
          <TableHead
            columns={[
              'Finished',
              'Route',
              'Variant',
              'Gate',
              'Pass rate',
              'Cases',
              'Passed',
              'Failed',
              'Flaky',
              'Errors',
              'Regressions',
            ]}
          />
          <tbody>
            {runs.map((run) => (
              <tr key={run.id}>
                <td>{formatTime(run.finished_at)}</td>
                <td>{run.route}</td>
                <td>{run.variant}</td>
                <td>
                  <span className={`badge gate-${run.gate}`}>{run.gate}</span>
                </td>
                <td className="num">
                  {percent(run.pass_rate)} <span className="sub">(min {percent(run.min_pass_rate)})</span>
                </td>
                <td className="num">{run.total}</td>
                <td className="num">{run.passed}</td>
                <td className="num">{run.failed}</td>
                <td className="num">{run.flaky}</td>
                <td className="num">{run.errored}</td>
                <td className="num">{run.regressions.length}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
