import { type FormEvent, type Ref, useId, useState } from 'react';
import type { AcceptCaseRequest, Assertion, AssertionType, EvalCaseDetail } from '@flywheel/contracts';
import { AssertionEditor } from './assertion-editor';
import {
  ASSERTION_TYPES,
  type AssertionDraft,
  emptyDraft,
  fromDraft,
  toDraft,
  TYPE_LABELS,
} from './assertion-draft';

/** The correction a voter gave: the case's own, else the first linked vote's. */
export function correctionOf(detail: EvalCaseDetail): string {
  return detail.correction ?? detail.feedback.find((f) => f.correction)?.correction ?? '';
}

export interface AcceptFormProps {
  detail: EvalCaseDetail;
  onSubmit: (body: AcceptCaseRequest) => Promise<void>;
  submitRef?: Ref<HTMLButtonElement>;
}

/**
 * Accept a case into its route's regression set: the expected answer (pre-filled from the
 * correction) and the assertions the curator suggested for the reasons, all editable.
 */
export function AcceptForm({ detail, onSubmit, submitRef }: AcceptFormProps) {
  const id = useId();
  const [expected, setExpected] = useState(() => correctionOf(detail));
  const [drafts, setDrafts] = useState<AssertionDraft[]>(() => detail.suggested_assertions.map(toDraft));
  const [newType, setNewType] = useState<AssertionType>('contains');
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');

  const results = drafts.map(fromDraft);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setTried(true);
    setError('');
    if (drafts.length === 0) return setError('Add at least one assertion.');
    const assertions: Assertion[] = [];
    for (const result of results) {
      if (!result.ok) return setError('Fix the marked assertion first.');
      assertions.push(result.assertion);
    }
    setBusy(true);
    try {
      await onSubmit({ ...(expected.trim() ? { expected } : {}), assertions });
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const add = () => {
    const text = newType === 'llm-judge' || newType === 'regex' || newType === 'not-contains' ? '' : expected;
    setDrafts((all) => [...all, emptyDraft(newType, text)]);
  };

  return (
    <form className="accept" aria-labelledby={`${id}-title`} onSubmit={(e) => void submit(e)} noValidate>
      <h3 id={`${id}-title`}>Accept into the regression set</h3>
      <div className="field wide">
        <label htmlFor={`${id}-expected`}>Expected answer (optional)</label>
        <textarea
          id={`${id}-expected`}
          rows={3}
          value={expected}
          onChange={(e) => setExpected(e.target.value)}
        />
      </div>
      {drafts.length === 0 && <p className="hint">No assertion was suggested for these reasons: add one.</p>}
      {drafts.map((draft, i) => {
        const result = results[i];
        return (
          <AssertionEditor
            key={draft.key}
            index={i}
            draft={draft}
            problem={tried && result && !result.ok ? result : undefined}
            onChange={(next) => setDrafts((all) => all.map((d) => (d.key === draft.key ? next : d)))}
            onRemove={() => setDrafts((all) => all.filter((d) => d.key !== draft.key))}
          />
        );
      })}
      <div className="add">
        <label htmlFor={`${id}-new-type`}>New assertion</label>
        <select
          id={`${id}-new-type`}
          value={newType}
          onChange={(e) => setNewType(e.target.value as AssertionType)}
        >
          {ASSERTION_TYPES.map((type) => (
            <option key={type} value={type}>
              {TYPE_LABELS[type]}
            </option>
          ))}
        </select>
        <button type="button" className="secondary" onClick={add}>
          Add assertion
        </button>
      </div>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <button type="submit" ref={submitRef} disabled={busy}>
        Accept case
      </button>
    </form>
  );
}
