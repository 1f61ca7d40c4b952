import { useId } from 'react';
import type { CaseList, EvalCaseStatus } from '@flywheel/contracts';
import type { CaseFilters } from '../api';

type Counts = CaseList['counts'];
type Facet = 'route' | 'variant' | 'reason';

/** Every route, variant and reason seen so far, so a filter's own choice does not hide the others. */
export type KnownValues = Record<Facet, string[]>;

export const NO_KNOWN_VALUES: KnownValues = { route: [], variant: [], reason: [] };

export function mergeKnown(known: KnownValues, counts: Counts): KnownValues {
  const merge = (old: string[], fresh: Record<string, number>) => {
    const all = new Set([...old, ...Object.keys(fresh)]);
    return all.size === old.length ? old : [...all].sort();
  };
  const next = {
    route: merge(known.route, counts.by_route),
    variant: merge(known.variant, counts.by_variant),
    reason: merge(known.reason, counts.by_reason),
  };
  return next.route === known.route && next.variant === known.variant && next.reason === known.reason
    ? known
    : next;
}

const STATUS_LABELS: Record<EvalCaseStatus, string> = {
  new: 'New',
  accepted: 'Accepted',
  rejected: 'Rejected',
};

const FACETS: { key: Facet; label: string; counts: keyof Counts }[] = [
  { key: 'route', label: 'Route', counts: 'by_route' },
  { key: 'variant', label: 'Variant', counts: 'by_variant' },
  { key: 'reason', label: 'Reason', counts: 'by_reason' },
];

export interface QueueFiltersProps {
  filters: CaseFilters;
  counts: Counts | undefined;
  known: KnownValues;
  onChange: (filters: CaseFilters) => void;
}

/** Status, route, variant, reason and a date range; each option shows how many cases it holds. */
export function QueueFilters({ filters, counts, known, onChange }: QueueFiltersProps) {
  const id = useId();
  const set = (key: keyof CaseFilters, value: string) => {
    const next: CaseFilters = { ...filters };
    if (value) Object.assign(next, { [key]: value });
    else delete next[key];
    onChange(next);
  };
  const count = (group: keyof Counts, value: string) => (counts ? ` (${counts[group][value] ?? 0})` : '');
  const allStatuses = counts ? Object.values(counts.by_status).reduce((a, b) => a + b, 0) : undefined;
  return (
    <form className="filters" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
      <div className="field">
        <label htmlFor={`${id}-status`}>Status</label>
        <select
          id={`${id}-status`}
          value={filters.status ?? ''}
          onChange={(e) => set('status', e.target.value)}
        >
          {(Object.keys(STATUS_LABELS) as EvalCaseStatus[]).map((status) => (
            <option key={status} value={status}>
              {STATUS_LABELS[status]}
              {count('by_status', status)}
            </option>
          ))}
          <option value="">All{allStatuses === undefined ? '' : ` (${allStatuses})`}</option>
        </select>
      </div>
      {FACETS.map((facet) => {
        const current = filters[facet.key];
        const values =
          current && !known[facet.key].includes(current) ? [...known[facet.key], current] : known[facet.key];
        return (
          <div className="field" key={facet.key}>
            <label htmlFor={`${id}-${facet.key}`}>{facet.label}</label>
            <select
              id={`${id}-${facet.key}`}
              value={current ?? ''}
              onChange={(e) => set(facet.key, e.target.value)}
            >
              <option value="">Any</option>
              {values.map((value) => (
                <option key={value} value={value}>
                  {value}
                  {count(facet.counts, value)}
                </option>
              ))}
            </select>
          </div>
        );
      })}
      <div className="field">
        <label htmlFor={`${id}-since`}>Last seen from</label>
        <input
          id={`${id}-since`}
          type="date"
          value={filters.since ?? ''}
          max={filters.until}
          onChange={(e) => set('since', e.target.value)}
        />
      </div>
      <div className="field">
        <label htmlFor={`${id}-until`}>Last seen until</label>
        <input
          id={`${id}-until`}
          type="date"
          value={filters.until ?? ''}
          min={filters.since}
          onChange={(e) => set('until', e.target.value)}
        />
      </div>
      <button type="button" className="secondary" onClick={() => onChange({ status: 'new' })}>
        Reset filters
      </button>
    </form>
  );
}
