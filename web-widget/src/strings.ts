/** Every text the widget shows or announces. Override any of them with the `strings` prop
 * (or `data-strings` on a script-tag element); values are always rendered as plain text. */
export interface Strings {
  /** Question next to the thumbs. */
  prompt: string;
  /** Accessible name of the thumbs-up button. */
  up: string;
  /** Accessible name of the thumbs-down button. */
  down: string;
  /** Heading of the reason chips. */
  reasonsLabel: string;
  commentLabel: string;
  correctionLabel: string;
  submit: string;
  skip: string;
  /** Shown and announced once a vote is made. */
  thanks: string;
  /** Shown while a vote waits in the offline queue. */
  queued: string;
  /** Shown when the service refused the vote (for example an expired token). */
  error: string;
  /** Labels of reason ids given without a label (the defaults and plain-string `reasons`). */
  reasonLabels: Record<string, string>;
}

export type StringOverrides = Partial<Omit<Strings, 'reasonLabels'>> & {
  reasonLabels?: Record<string, string>;
};

export const DEFAULT_STRINGS: Strings = {
  prompt: 'Was this response helpful?',
  up: 'Helpful',
  down: 'Not helpful',
  reasonsLabel: 'What went wrong?',
  commentLabel: 'Comment (optional)',
  correctionLabel: 'What should it have said? (optional)',
  submit: 'Send feedback',
  skip: 'Skip',
  thanks: 'Thanks for your feedback!',
  queued: "Saved. It will be sent when you're back online.",
  error: "Sorry, your feedback couldn't be sent.",
  reasonLabels: {
    incorrect: 'Incorrect',
    unhelpful: 'Unhelpful',
    wrong_format: 'Wrong format',
    unsafe: 'Unsafe',
    other: 'Other',
  },
};

/** Defaults overlaid with `overrides`. */
export function resolveStrings(overrides?: StringOverrides): Strings {
  return {
    ...DEFAULT_STRINGS,
    ...overrides,
    reasonLabels: { ...DEFAULT_STRINGS.reasonLabels, ...overrides?.reasonLabels },
  };
}

/** A reason chip: an id (labelled through `Strings.reasonLabels`) or an id with its own label. */
export type ReasonOption = string | { id: string; label?: string };

/** `incorrect`, `unhelpful`, `wrong_format`, `unsafe`, `other`. */
export const DEFAULT_REASONS: readonly string[] = Object.keys(DEFAULT_STRINGS.reasonLabels);

/** The chips to show, each with its label. */
export function resolveReasons(
  reasons: readonly ReasonOption[] = DEFAULT_REASONS,
  labels: Record<string, string>,
): { id: string; label: string }[] {
  return reasons.map((reason) => {
    const { id, label } = typeof reason === 'string' ? { id: reason } : reason;
    return { id, label: label || labels[id] || id };
  });
}
