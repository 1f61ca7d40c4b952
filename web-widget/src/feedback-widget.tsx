import { useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { resolveReasons, resolveStrings, type ReasonOption, type StringOverrides } from './strings';
import { widgetCss } from './styles';
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

/** Thumbs up/down for one LLM answer; a thumbs-down opens reason chips, a comment and a correction. */
export function FeedbackWidget({ reasons, strings, className, unstyled, ...options }: FeedbackWidgetProps) {
  const { rating, status, vote } = useFeedback(options);
  const text = resolveStrings(strings);
  const chips = resolveReasons(reasons, text.reasonLabels);
  const [open, setOpen] = useState(false);
  const [picked, setPicked] = useState<string[]>([]);
  const downButton = useRef<HTMLButtonElement>(null);
  const id = useId();

  const close = () => {
    setOpen(false);
    downButton.current?.focus();
  };
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    vote('down', {
      reasons: picked,
      comment: `${form.get('comment')}`,
      correction: `${form.get('correction')}`,
    });
    close();
  };
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Escape') close();
  };
  const toggle = (reason: string) =>
    setPicked((p) => (p.includes(reason) ? p.filter((r) => r !== reason) : [...p, reason]));

  const message =
    status === 'error' ? text.error : status === 'queued' ? text.queued : rating && !open ? text.thanks : '';

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
          aria-pressed={rating === 'up'}
          onClick={() => {
            setOpen(false);
            if (rating !== 'up') vote('up');
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
          aria-pressed={rating === 'down'}
          aria-expanded={open}
          aria-controls={`${id}f`}
          onClick={() => {
            if (rating !== 'down') vote('down');
            setOpen(true);
          }}
        >
          {thumb}
        </button>
      </div>
      {/* Kept mounted while closed, so what the user typed survives closing and reopening. */}
      <form className="fw-form" id={`${id}f`} hidden={!open} onSubmit={submit} onKeyDown={onKeyDown}>
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
          <button type="button" onClick={close}>
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
