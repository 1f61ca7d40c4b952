import { useState } from 'react';
import type { RolloutAction, RolloutState, RolloutStatus } from '@flywheel/contracts';
import type { CuratorApi } from '../api';

interface ActionButton {
  action: RolloutAction;
  label: string;
  /** the statuses the controller accepts it in (services/rollouts state machine) */
  when: readonly RolloutStatus[];
  done: string;
}

const BUTTONS: readonly ActionButton[] = [
  { action: 'start', label: 'Start', when: ['pending'], done: 'started' },
  { action: 'start', label: 'Restart', when: ['halted', 'completed'], done: 'restarted' },
  { action: 'pause', label: 'Pause', when: ['running', 'holding'], done: 'paused' },
  { action: 'resume', label: 'Resume', when: ['paused'], done: 'resumed' },
  { action: 'advance', label: 'Advance now', when: ['running', 'holding', 'paused'], done: 'advanced' },
];

/** A rollout and what its actions need: the API and where to report a done action. */
export interface RolloutProps {
  api: CuratorApi;
  rollout: RolloutState;
  onDone: (message: string) => void;
}

const ROLLBACK_WHEN: readonly RolloutStatus[] = ['running', 'holding', 'paused', 'completed'];

/**
 * The admin actions that apply to the rollout's status. Rollback asks once more: it moves every
 * user back to control. A refusal shows the controller's reason; a refused token brings the
 * sign-in back (the console's API client does that on any 401).
 */
export function RolloutActions({ api, rollout, onDone }: RolloutProps) {
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState('');
  const { route, status } = rollout;

  const run = async (action: RolloutAction, done: string) => {
    setBusy(true);
    setError('');
    try {
      const next = await api.rolloutAction(route, action);
      setConfirming(false);
      onDone(`${route}: ${done}, ${next.percent} % of users on ${next.candidate}.`);
    } catch (err) {
      setError(`${route}: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  };

  const buttons = BUTTONS.filter((b) => b.when.includes(status));
  const canRollback = ROLLBACK_WHEN.includes(status);
  return (
    <div className="rollout-actions" role="group" aria-label={`Actions on ${route}`}>
      {buttons.map((b) => (
        <button
          key={b.label}
          type="button"
          className="secondary"
          disabled={busy}
          onClick={() => void run(b.action, b.done)}
        >
          {b.label}
        </button>
      ))}
      {canRollback && !confirming && (
        <button type="button" className="danger" disabled={busy} onClick={() => setConfirming(true)}>
          Roll back…
        </button>
      )}
      {canRollback && confirming && (
        <span className="confirm">
          Every user goes back to {rollout.control}.{' '}
          <button
            type="button"
            className="danger"
            disabled={busy}
            onClick={() => void run('rollback', 'rolled back')}
          >
            Roll back to {rollout.control}
          </button>{' '}
          <button type="button" className="link" disabled={busy} onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </span>
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </div>
  );
}
