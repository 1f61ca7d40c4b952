import { useId } from 'react';
import type { AssertionType } from '@flywheel/contracts';
import { ASSERTION_TYPES, type AssertionDraft, TEXT_LABELS, TYPE_LABELS } from './assertion-draft';

export interface AssertionEditorProps {
  index: number;
  draft: AssertionDraft;
  /** the problem to show, once the reviewer tried to submit */
  problem?: { field: keyof AssertionDraft; error: string };
  onChange: (draft: AssertionDraft) => void;
  onRemove: () => void;
}

/** One editable assertion: its type and the fields that type needs. */
export function AssertionEditor({ index, draft, problem, onChange, onRemove }: AssertionEditorProps) {
  const id = useId();
  const n = index + 1;
  const set = (field: keyof AssertionDraft, value: string) => onChange({ ...draft, [field]: value });
  const errorId = `${id}-error`;
  const invalid = (field: keyof AssertionDraft) =>
    problem?.field === field ? { 'aria-invalid': true, 'aria-describedby': errorId } : {};
  return (
    <fieldset className="assertion">
      <legend>Assertion {n}</legend>
      <div className="field">
        <label htmlFor={`${id}-type`}>Type</label>
        <select
          id={`${id}-type`}
          value={draft.type}
          onChange={(e) => onChange({ ...draft, type: e.target.value as AssertionType })}
        >
          {ASSERTION_TYPES.map((type) => (
            <option key={type} value={type}>
              {TYPE_LABELS[type]}
            </option>
          ))}
        </select>
      </div>
      {draft.type === 'json-schema' ? (
        <div className="field wide">
          <label htmlFor={`${id}-schema`}>
            JSON Schema (leave blank for the route variant&apos;s output_schema)
          </label>
          <textarea
            id={`${id}-schema`}
            rows={4}
            spellCheck={false}
            value={draft.schema}
            onChange={(e) => set('schema', e.target.value)}
            {...invalid('schema')}
          />
        </div>
      ) : (
        <div className="field wide">
          <label htmlFor={`${id}-text`}>{TEXT_LABELS[draft.type]}</label>
          <textarea
            id={`${id}-text`}
            rows={draft.type === 'regex' ? 1 : 3}
            value={draft.text}
            onChange={(e) => set('text', e.target.value)}
            {...invalid('text')}
          />
        </div>
      )}
      {draft.type === 'regex' && (
        <div className="field">
          <label htmlFor={`${id}-flags`}>Flags</label>
          <input
            id={`${id}-flags`}
            size={4}
            value={draft.flags}
            onChange={(e) => set('flags', e.target.value)}
            {...invalid('flags')}
          />
        </div>
      )}
      {draft.type === 'similar' && (
        <div className="field">
          <label htmlFor={`${id}-threshold`}>Threshold (0–1)</label>
          <input
            id={`${id}-threshold`}
            type="number"
            min={0}
            max={1}
            step={0.05}
            value={draft.threshold}
            onChange={(e) => set('threshold', e.target.value)}
            {...invalid('threshold')}
          />
        </div>
      )}
      {draft.type === 'llm-judge' && (
        <div className="field">
          <label htmlFor={`${id}-model`}>Judge model (optional)</label>
          <input id={`${id}-model`} value={draft.model} onChange={(e) => set('model', e.target.value)} />
        </div>
      )}
      {problem && (
        <p id={errorId} className="error">
          {problem.error}
        </p>
      )}
      <button type="button" className="secondary" onClick={onRemove}>
        Remove assertion {n}
      </button>
    </fieldset>
  );
}
