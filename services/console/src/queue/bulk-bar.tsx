import { type FormEvent, type Ref, useId, useImperativeHandle, useRef, useState } from 'react';
import type { BulkCaseRequest, BulkCaseResult } from '@flywheel/contracts';
import type { CuratorApi } from '../api';

export interface BulkBarHandle {
  focusAccept(): void;
  focusReason(): void;
}

export interface BulkBarProps {
  api: CuratorApi;
  ids: string[];
  onDone: (message: string) => void;
  onClear: () => void;
  ref?: Ref<BulkBarHandle>;
}

/** Accept (each case with its own suggested assertions) or reject the ticked cases at once. */
export function BulkBar({ api, ids, onDone, onClear, ref }: BulkBarProps) {
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const acceptButton = useRef<HTMLButtonElement>(null);
  const reasonInput = useRef<HTMLInputElement>(null);
  const reasonId = useId();
  useImperativeHandle(ref, () => ({
    focusAccept: () => acceptButton.current?.focus(),
    focusReason: () => reasonInput.current?.focus(),
  }));

  const run = async (request: BulkCaseRequest) => {
    setBusy(true);
    setError('');
    try {
      const { results } = await api.bulk(request);
      setReason('');
      onDone(summarize(request.action, results));
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const reject = (event: FormEvent) => {
    event.preventDefault();
    if (reason.trim()) void run({ action: 'reject', ids, reason: reason.trim() });
  };

  return (
    <section className="bulk" aria-label="Bulk actions">
      <p>
        <strong>{ids.length}</strong> {ids.length === 1 ? 'case' : 'cases'} ticked
      </p>
      <button
        type="button"
        ref={acceptButton}
        disabled={busy}
        onClick={() => void run({ action: 'accept', ids })}
      >
        Accept ticked with suggested assertions
      </button>
      <form onSubmit={reject} className="inline">
        <label htmlFor={reasonId}>Why reject them?</label>
        <input
          id={reasonId}
          ref={reasonInput}
          value={reason}
          maxLength={500}
          required
          onChange={(e) => setReason(e.target.value)}
        />
        <button type="submit" disabled={busy || !reason.trim()}>
          Reject ticked
        </button>
      </form>
      <button type="button" className="secondary" onClick={onClear} disabled={busy}>
        Untick all
      </button>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </section>
  );
}

function summarize(action: BulkCaseRequest['action'], results: BulkCaseResult['results']): string {
  const verb = action === 'accept' ? 'Accepted' : 'Rejected';
  const failed = results.filter((r) => !r.ok);
  const done = results.length - failed.length;
  const head = `${verb} ${done} of ${results.length} ${results.length === 1 ? 'case' : 'cases'}.`;
  if (failed.length === 0) return head;
  return `${head} Not done: ${failed.map((r) => `${r.id} (${r.error ?? 'failed'})`).join('; ')}.`;
}
