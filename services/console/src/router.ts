// Views live in the URL hash (`#/queue?route=support`, `#/case/<id>`), so reloads, the back
// button and shared links work without the curator knowing the console's routes.
import { useCallback, useEffect, useState } from 'react';
import type { EvalCaseStatus } from '@flywheel/contracts';
import { type CaseFilters, FILTER_KEYS } from './api';

export type CaseAction = 'accept' | 'reject';

export type Route =
  | { view: 'queue'; filters: CaseFilters; offset: number }
  | { view: 'case'; id: string; action?: CaseAction }
  | { view: 'parked' }
  | { view: 'runs' }
  | { view: 'rollouts' }
  | { view: 'export' };

const STATUSES: readonly string[] = ['new', 'accepted', 'rejected'] satisfies EvalCaseStatus[];

/** The queue shows `new` cases unless the URL says otherwise (`status=all` for every status). */
export const DEFAULT_QUEUE: Route = { view: 'queue', filters: { status: 'new' }, offset: 0 };

export function parseHash(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#/, '').split('?', 2);
  const params = new URLSearchParams(search);
  const parts = path.split('/').filter(Boolean);
  switch (parts[0]) {
    case 'case': {
      const id = parts[1] ? decodeURIComponent(parts[1]) : '';
      if (!id) return DEFAULT_QUEUE;
      const action = params.get('do');
      return action === 'accept' || action === 'reject' ? { view: 'case', id, action } : { view: 'case', id };
    }
    case 'parked':
    case 'runs':
    case 'rollouts':
    case 'export':
      return { view: parts[0] };
    default:
      return { view: 'queue', filters: filtersOf(params), offset: offsetOf(params) };
  }
}

function filtersOf(params: URLSearchParams): CaseFilters {
  const filters: CaseFilters = {};
  for (const key of FILTER_KEYS) {
    if (key === 'status') continue;
    const value = params.get(key);
    if (value) filters[key] = value;
  }
  const status = params.get('status');
  if (status === null) filters.status = 'new';
  else if (STATUSES.includes(status)) filters.status = status as EvalCaseStatus;
  return filters;
}

function offsetOf(params: URLSearchParams): number {
  const offset = Number(params.get('offset'));
  return Number.isInteger(offset) && offset > 0 ? offset : 0;
}

export function formatRoute(route: Route): string {
  switch (route.view) {
    case 'case':
      return `#/case/${encodeURIComponent(route.id)}${route.action ? `?do=${route.action}` : ''}`;
    case 'queue': {
      const params = new URLSearchParams();
      params.set('status', route.filters.status ?? 'all');
      for (const key of FILTER_KEYS) {
        const value = route.filters[key];
        if (key !== 'status' && value) params.set(key, value);
      }
      if (route.offset > 0) params.set('offset', String(route.offset));
      return `#/queue?${params.toString()}`;
    }
    default:
      return `#/${route.view}`;
  }
}

/** The current route and a way to go to another (a new history entry). */
export function useRoute(): [Route, (route: Route) => void] {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const onChange = () => {
      const next = parseHash(window.location.hash);
      // navigate() already showed this route; the browser's hashchange only confirms it
      setRoute((current) => (formatRoute(current) === formatRoute(next) ? current : next));
    };
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  const navigate = useCallback((next: Route) => {
    const hash = formatRoute(next);
    if (window.location.hash !== hash) window.location.hash = hash;
    setRoute(parseHash(hash));
  }, []);
  return [route, navigate];
}
