import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { resolveReasons, resolveStrings, type ReasonOption, type StringOverrides } from './strings';
import { widgetCss } from './styles';
import type { FeedbackDetails } from './types';
import { useFeedback, type UseFeedbackOptions } from './use-feedback';

export interface FeedbackWidgetProps extends UseFeedbackOptions {
  /** Reason chips offered after a thumbs-down. Default: incorrect, unhelpful, wrong_format, unsafe, other. */
  reasons?: readonly ReasonOption[];
  /** Text overrides (i18n). */
  strings?: StringOverrides;
  /** Extra class on the root element. */
  className?: string;
  /** Leave out the built-in `<style>` (bring your own CSS, see `widgetCss`). */
  unstyled?: boolean;
}

const thumb = (
  <svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">
    <path d="M1 9h4v12H1zm6 12V9.5L12.5 2c1.4 0 2.5 1.1 2.5 2.5L14.3 8H21c1.1 0 2 .9 2 2v2l-3 7.5c-.4.9-1.2 1.5-2.2 1.5z" />
  </svg>
);

/** Thumbs up/down for one LLM answer. A thumbs-down opens reason chips, a comment and a correction
 * and is sent once, with them, on Send (bare on Skip or Escape); see `useFeedback().hold`. */
export function FeedbackWidget({ reasons, strings, className, unstyled, ...options }: FeedbackWidgetProps) {
  const { rating, held, status, vote, hold } = useFeedback(options);
  const text = resolveStrings(strings);
  const chips = resolveReasons(reasons, text.reasonLabels);
  const [open, setOpen] = useState(false);
  const [picked, setPicked] = useState<string[]>([]);
  const downButton = useRef<HTMLButtonElement>(null);
  const form = useRef<HTMLFormElement>(null);
  const id = useId();
  /** What the thumbs show: the vote being filled in, else the latest vote. */
  const shown = held ?? rating;

  // Opening the details moves focus to their first control.
  useEffect(() => {
    if (open) (form.current?.elements[0] as HTMLElement | undefined)?.focus();
  }, [open]);

  /** Closes the details; sends the down vote if it is still held, or if `details` were filled in. */
  const close = (details?: FeedbackDetails) => {
    if (held || details) vote('down', details);
    setOpen(false);
    downButton.current?.focus();
  };
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    // The form's only fields are its two textareas, `comment` and `correction`: strings.
    const fields = Object.fromEntries(new FormData(event.currentTarget)) as FeedbackDetails;
    close({ ...fields, reasons: picked });
  };
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Escape') close();
  };
  const toggle = (reason: string) =>
    setPicked((p) => (p.includes(reason) ? p.filter((r) => r !== reason) : [...p, reason]));

  const message =
    status === 'error' || status === 'queued' ? text[status] : rating && !open ? text.thanks : '';

  return (
    <div className={className ? `fw-root ${className}` : 'fw-root'} data-status={status}>
      {!unstyled && <style>{widgetCss}</style>}
      <div className="fw-bar" role="group" aria-labelledby={`${id}q`}>
        <span className="fw-prompt" id={`${id}q`}>
          {text.prompt}
        </span>
        <button
          type="button"
          className="fw-thumb"
          aria-label={text.up}
          title={text.up}
          aria-pressed={shown === 'up'}
          onClick={() => {
            setOpen(false);
            // Already up: only drop a held down vote.
            if (rating === 'up') hold();
            else vote('up');
          }}
        >
          {thumb}
        </button>
        <button
          ref={downButton}
          type="button"
          className="fw-thumb fw-down"
          aria-label={text.down}
          title={text.down}
          aria-pressed={shown === 'down'}
          aria-expanded={open}
          aria-controls={`${id}f`}
          onClick={() => {
            // Nothing is sent yet: the vote goes out once, with its details, when the form closes.
            if (rating !== 'down') hold('down');
            setOpen(true);
          }}
        >
          {thumb}
        </button>
      </div>
      {/* Kept mounted while closed, so what the user typed survives closing and reopening. */}
      <form
        ref={form}
        className="fw-form"
        id={`${id}f`}
        hidden={!open}
        onSubmit={submit}
        onKeyDown={onKeyDown}
      >
        <div className="fw-chips" role="group" aria-labelledby={`${id}r`}>
          <span id={`${id}r`}>{text.reasonsLabel}</span>
          {chips.map((chip) => (
            <button
              key={chip.id}
              type="button"
              className="fw-chip"
              aria-pressed={picked.includes(chip.id)}
              onClick={() => toggle(chip.id)}
            >
              {chip.label}
            </button>
          ))}
        </div>
        <label className="fw-field">
          {text.commentLabel}
          <textarea name="comment" maxLength={2000} />
        </label>
        <label className="fw-field">
          {text.correctionLabel}
          <textarea name="correction" maxLength={8000} />
        </label>
        <div className="fw-actions">
          <button type="submit" className="fw-primary">
            {text.submit}
          </button>
          <button type="button" onClick={() => close()}>
            {text.skip}
          </button>
        </div>
      </form>
      <p className="fw-status" role="status">
        {message}
      </p>
    </div>
  );
}
