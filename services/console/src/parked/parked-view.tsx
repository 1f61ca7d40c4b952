import type { CuratorApi } from '../api';
import { formatTime } from '../format';
import { LoadState } from '../load-state';
import { TableHead } from '../table-head';
import { useLoad } from '../use-load';

/** Votes whose interaction never arrived within the join window: they made no case. */
export function ParkedView({ api }: { api: CuratorApi }) {
  const load = useLoad(() => api.parked(), 'parked');
  const votes = useLoad(() => api.voteCounts(), 'votes');
  const parked = load.data?.parked ?? [];
  return (
    <section aria-labelledby="parked-title">
      <h1 id="parked-title">Parked votes</h1>
      <p className="hint">
        Votes whose interaction did not reach the curator in time to be joined. They are kept here, not turned
        into cases.
      </p>
      <LoadState load={load} what="parked votes" />
      {load.data && parked.length === 0 && <p>No parked votes.</p>}
      {parked.length > 0 && (
        <table>
          <caption>
            {parked.length === load.data?.total
              ? `${parked.length} parked ${parked.length === 1 ? 'vote' : 'votes'}`
              : `${parked.length} of ${load.data?.total ?? 0} parked votes`}
          </caption>
          <TableHead
            columns={['Parked', 'Route', 'Variant', 'Rating', 'Reasons', 'Comment', 'Interaction']}
          />
          <tbody>
            {parked.map((p) => (
              <tr key={p.feedback_id}>
                <td>{formatTime(p.parked_at)}</td>
                <td>{p.route ?? '—'}</td>
                <td>{p.variant}</td>
                <td>{p.rating}</td>
                <td>{p.reasons.join(', ')}</td>
                <td className="user-text">{p.comment ?? ''}</td>
                <td className="id">{p.interaction_id}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Votes per route and variant</h2>
      <p className="hint">Every subject&apos;s current vote, joined to an interaction or not.</p>
      <LoadState load={votes} what="vote counts" />
      {votes.data && votes.data.votes.length === 0 && <p>No votes yet.</p>}
      {votes.data && votes.data.votes.length > 0 && (
        <table aria-label="Votes per route and variant">
          <TableHead columns={['Route', 'Variant', 'Thumbs up', 'Thumbs down']} />
          <tbody>
            {votes.data.votes.map((v) => (
              <tr key={`${v.route ?? ''}/${v.variant}`}>
                <td>{v.route ?? '—'}</td>
                <td>{v.variant}</td>
                <td className="num">{v.up}</td>
                <td className="num">{v.down}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
