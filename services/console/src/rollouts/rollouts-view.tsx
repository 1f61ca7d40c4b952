import { useEffect, useState } from 'react';
import type { CuratorApi } from '../api';
import { LoadState } from '../load-state';
import { useLoad } from '../use-load';
import { RolloutPanel } from './rollout-panel';

/** How often the page asks the controller again: decisions happen on their own. */
export const REFRESH_MS = 5_000;

/**
 * Guarded rollouts (flywheel.yaml `rollouts`), as the rollout controller reports them through
 * the curator; refreshed every few seconds so an advance or a halt shows up by itself.
 */
export function RolloutsView({ api }: { api: CuratorApi }) {
  const load = useLoad(() => api.rollouts(), 'rollouts');
  const [message, setMessage] = useState('');
  const { reload } = load;
  useEffect(() => {
    const timer = setInterval(reload, REFRESH_MS);
    return () => clearInterval(timer);
  }, [reload]);
  const rollouts = load.data?.rollouts ?? [];
  return (
    <section aria-labelledby="rollouts-title">
      <h1 id="rollouts-title">Rollouts</h1>
      <p className="hint">
        Each route with a plan under <code>rollouts</code> in flywheel.yaml moves users from control to the
        candidate in steps; the controller advances, holds or halts it on the evidence. Refreshed every{' '}
        {REFRESH_MS / 1000} s.
      </p>
      <p role="status" className="notice">
        {message}
      </p>
      <LoadState load={load} what="rollouts" />
      {load.data && rollouts.length === 0 && (
        <p>
          No rollout plans. Add one under <code>rollouts</code> in flywheel.yaml (see the README, &quot;Watch
          a rollout&quot;).
        </p>
      )}
      {rollouts.map((r) => (
        <RolloutPanel
          key={r.route}
          api={api}
          rollout={r}
          onDone={(m) => {
            setMessage(m);
            reload();
          }}
        />
      ))}
    </section>
  );
}
