import { type FormEvent, type Ref, useEffect, useId, useRef, useState } from 'react';
import type { AcceptCaseRequest } from '@flywheel/contracts';
import type { CuratorApi } from '../api';
import { formatRoute, type CaseAction, type Route } from '../router';
import { LoadState } from '../load-state';
import { useShortcuts } from '../shortcuts';
import { useLoad } from '../use-load';
import { AcceptForm } from './accept-form';
import { CaseMeta, Conversation, Decision, Feedback, Output } from './case-parts';

export interface CaseViewProps {
  api: CuratorApi;
  id: string;
  /** open this form on arrival (from the queue's `a` / `r`) */
  action?: CaseAction;
  /** the queue to return to */
  back: Route;
  onNavigate: (route: Route, notice?: string) => void;
  shortcuts: boolean;
}

/**
 * One case, side by side: what the user asked, what the model answered, what the user said
 * about it; then accept (with assertions) or reject (with a reason).
 */
export function CaseView({ api, id, action, back, onNavigate, shortcuts }: CaseViewProps) {
  const detail = useLoad(() => api.getCase(id), id);
  const [open, setOpen] = useState<CaseAction | undefined>(action);
  // Bumped on every `a` / `r` so focus moves even when the form is already open.
  const [focusRequest, setFocusRequest] = useState(action ? 1 : 0);
  const acceptSubmit = useRef<HTMLButtonElement>(null);
  const rejectReason = useRef<HTMLInputElement>(null);
  const c = detail.data;
  const triageable = c?.status === 'new';

  const show = (which: CaseAction) => {
    setOpen(which);
    setFocusRequest((n) => n + 1);
  };
  useEffect(() => {
    if (action) show(action);
  }, [action]);
  useEffect(() => {
    if (focusRequest === 0 || !triageable) return;
    (open === 'accept' ? acceptSubmit : rejectReason).current?.focus();
  }, [focusRequest, open, triageable]);

  useShortcuts(
    {
      a: () => triageable && show('accept'),
      r: () => triageable && show('reject'),
      Escape: () => onNavigate(back),
    },
    shortcuts,
  );

  const accept = async (body: AcceptCaseRequest) => {
    await api.accept(id, body);
    onNavigate(
      back,
      `Case accepted with ${body.assertions.length} ${body.assertions.length === 1 ? 'assertion' : 'assertions'}.`,
    );
  };
  const reject = async (reason: string) => {
    await api.reject(id, { reason });
    onNavigate(back, 'Case rejected.');
  };

  return (
    <article className="case" aria-labelledby="case-title">
      <p>
        <a href={formatRoute(back)}>← Back to the queue</a>
      </p>
      <h1 id="case-title">
        Case {c ? <>on {c.route} </> : null}
        {c && <span className={`badge ${c.status}`}>{c.status}</span>}
      </h1>
      <LoadState load={detail} what="the case" />
      {c && (
        <>
          <CaseMeta evalCase={c} />
          <div className="columns">
            <section aria-labelledby="input-title">
              <h2 id="input-title">Input</h2>
              <Conversation input={c.input} />
            </section>
            <section aria-labelledby="output-title">
              <h2 id="output-title">Disliked output</h2>
              <Output output={c.output} />
            </section>
            <section aria-labelledby="feedback-title">
              <h2 id="feedback-title">Feedback</h2>
              <Feedback detail={c} />
            </section>
          </div>
          {triageable ? (
            <section className="triage" aria-label="Triage">
              <div className="actions">
                <button
                  type="button"
                  aria-expanded={open === 'accept'}
                  aria-keyshortcuts="a"
                  onClick={() => show('accept')}
                >
                  Accept…
                </button>
                <button
                  type="button"
                  className="danger"
                  aria-expanded={open === 'reject'}
                  aria-keyshortcuts="r"
                  onClick={() => show('reject')}
                >
                  Reject…
                </button>
              </div>
              {open === 'accept' && <AcceptForm detail={c} onSubmit={accept} submitRef={acceptSubmit} />}
              {open === 'reject' && <RejectForm onSubmit={reject} reasonRef={rejectReason} />}
            </section>
          ) : (
            <Decision evalCase={c} />
          )}
        </>
      )}
    </article>
  );
}

function RejectForm({
  onSubmit,
  reasonRef,
}: {
  onSubmit: (reason: string) => Promise<void>;
  reasonRef: Ref<HTMLInputElement>;
}) {
  const id = useId();
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!reason.trim()) return setError('Say why the case is rejected.');
    setBusy(true);
    setError('');
    try {
      await onSubmit(reason.trim());
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="reject" aria-labelledby={`${id}-title`} onSubmit={(e) => void submit(e)} noValidate>
      <h3 id={`${id}-title`}>Reject</h3>
      <div className="field wide">
        <label htmlFor={`${id}-reason`}>Reason</label>
        <input
          id={`${id}-reason`}
          ref={reasonRef}
          value={reason}
          maxLength={500}
          placeholder="e.g. the answer was right; the user misread it"
          onChange={(e) => setReason(e.target.value)}
        />
      </div>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <button type="submit" className="danger" disabled={busy}>
        Reject case
      </button>
    </form>
  );
}
