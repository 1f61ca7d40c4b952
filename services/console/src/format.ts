import type { CaseInput } from '@flywheel/contracts';

/** A timestamp in the reader's locale, or the raw string when it is not a date. */
export function formatTime(iso: string | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** The first `max` characters of a text on one line, with an ellipsis when cut. */
export function excerpt(text: string | null | undefined, max = 80): string {
  const line = (text ?? '').replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** What the user asked: the last user message, else the template variables. */
export function askedText(input: CaseInput): string {
  const users = (input.messages ?? []).filter((m) => m.role === 'user');
  const last = users[users.length - 1];
  if (last) return last.content;
  return input.vars ? JSON.stringify(input.vars) : '';
}

export function percent(rate: number): string {
  return `${(rate * 100).toFixed(rate === 1 || rate === 0 ? 0 : 1)}%`;
}
