// How the Rollouts page writes the controller's numbers: rates as percentages, differences of
// rates in percentage points, ratios as ×, and the intervals' infinite bounds (sent as null).
import type { RolloutInterval, RolloutStatus } from '@flywheel/contracts';

const DASH = '—';

/** A rate (0..1) as a percentage, or a dash when there is none yet. */
export function rate(value: number | null | undefined): string {
  return value === null || value === undefined ? DASH : `${(value * 100).toFixed(1)} %`;
}

export function milliseconds(value: number | null | undefined): string {
  return value === null || value === undefined ? DASH : `${Math.round(value).toLocaleString('en-US')} ms`;
}

/** USD, with enough digits for fractions of a cent. */
export function usd(value: number | null | undefined): string {
  if (value === null || value === undefined) return DASH;
  return `$${value < 0.01 ? value.toPrecision(2) : value.toFixed(4)}`;
}

/** A bound or estimate of a guardrail: rate points for an increase, × for a ratio. */
export function guardrailValue(
  kind: RolloutInterval['kind'],
  value: number | null,
  missing: 'none' | 'low' | 'high' = 'none',
): string {
  if (value === null) {
    if (missing === 'none') return 'n/a';
    return kind === 'ratio' && missing === 'low' ? '×0' : missing === 'low' ? '−∞' : '+∞';
  }
  if (kind === 'ratio') return `×${value.toFixed(2)}`;
  const points = value * 100;
  return `${points < 0 ? '−' : '+'}${Math.abs(points).toFixed(1)} pts`;
}

/** "[+3.1 pts, +15.5 pts]" */
export function interval(i: Pick<RolloutInterval, 'kind' | 'lower' | 'upper'>): string {
  return `[${guardrailValue(i.kind, i.lower, 'low')}, ${guardrailValue(i.kind, i.upper, 'high')}]`;
}

/** The level of an always-valid interval at error `alpha`, e.g. "97.5 %". */
export function level(alpha: number): string {
  return `${Number(((1 - alpha) * 100).toFixed(2))} %`;
}

/** The plan's allowed degradation: "+2.0 pts" or "×1.25". */
export function allowed(i: Pick<RolloutInterval, 'kind' | 'limit'>): string {
  return guardrailValue(i.kind, i.limit);
}

/** An interval without an estimate or without any finite bound has seen no evidence yet. */
export function verdict(i: Pick<RolloutInterval, 'estimate' | 'lower' | 'upper' | 'violated'>): string {
  if (i.violated) return 'violated';
  return i.estimate === null || (i.lower === null && i.upper === null) ? 'no data yet' : 'not violated';
}

const STATUS_TEXT: Record<RolloutStatus, string> = {
  pending: 'not started',
  running: 'running',
  paused: 'paused',
  holding: 'holding',
  halted: 'halted',
  completed: 'completed',
};

export function statusText(status: RolloutStatus): string {
  return STATUS_TEXT[status];
}
