import { useEffect, useRef, useState } from 'react';
import type { EvalCase } from '@flywheel/contracts';
import type { CaseFilters, CuratorApi } from '../api';
import { askedText, excerpt, formatTime } from '../format';
import { LoadState } from '../load-state';
import { type CaseAction, formatRoute, type Route } from '../router';
import { useShortcuts } from '../shortcuts';
import { TableHead } from '../table-head';
import { useLoad } from '../use-load';
import { BulkBar, type BulkBarHandle } from './bulk-bar';
import { mergeKnown, NO_KNOWN_VALUES, QueueFilters } from './queue-filters';

export const PAGE_SIZE = 50;

export interface QueueViewProps {
  api: CuratorApi;
  filters: CaseFilters;
  offset: number;
  onNavigate: (route: Route) => void;
  /** false while another panel (the help) owns the keyboard */
  shortcuts: boolean;
}

/** The triage queue: filters with counts, one row per case, keyboard selection, bulk actions. */
export function QueueView({ api, filters, offset, onNavigate, shortcuts }: QueueViewProps) {
  const query = JSON.stringify([filters, offset]);
  const list = useLoad(() => api.listCases(filters, { limit: PAGE_SIZE, offset }), query);
  const [known, setKnown] = useState(NO_KNOWN_VALUES);
  const [cursor, setCursor] = useState(0);
  const [ticked, setTicked] = useState<ReadonlySet<string>>(new Set());
  const [bulkResult, setBulkResult] = useState('');
  const bulk = useRef<BulkBarHandle>(null);
  const links = useRef(new Map<string, HTMLAnchorElement>());

  const counts = list.data?.counts;
  const merged = counts ? mergeKnown(known, counts) : known;
  if (merged !== known) setKnown(merged); // state derived from the answer, set while rendering
  useEffect(() => setCursor(0), [query]);

  const cases = list.data?.cases ?? [];
  const total = list.data?.total ?? 0;
  const active = Math.min(cursor, cases.length - 1);
  const tickedIds = cases.filter((c) => ticked.has(c.id)).map((c) => c.id);

  const move = (delta: number) => {
    if (cases.length === 0) return;
    const next = Math.max(0, Math.min(cases.length - 1, active + delta));
    setCursor(next);
    const target = cases[next];
    if (target) links.current.get(target.id)?.focus();
  };
  const open = (action?: CaseAction) => {
    const target = cases[active];
    if (target)
      onNavigate(action ? { view: 'case', id: target.id, action } : { view: 'case', id: target.id });
  };
  const toggle = (id: string) =>
    setTicked((old) => {
      const next = new Set(old);
      if (!next.delete(id)) next.add(id);
      return next;
    });

  useShortcuts(
    {
      j: () => move(1),
      k: () => move(-1),
      Enter: () => open(),
      o: () => open(),
      x: () => {
        const target = cases[active];
        if (target) toggle(target.id);
      },
      a: () => (tickedIds.length > 0 ? bulk.current?.focusAccept() : open('accept')),
      r: () => (tickedIds.length > 0 ? bulk.current?.focusReason() : open('reject')),
    },
    shortcuts,
  );

  const setFilters = (next: CaseFilters) => onNavigate({ view: 'queue', filters: next, offset: 0 });
  const page = (nextOffset: number) => onNavigate({ view: 'queue', filters, offset: nextOffset });
  const allTicked = cases.length > 0 && tickedIds.length === cases.length;

  return (
    <section aria-labelledby="queue-title">
      <h1 id="queue-title">Triage queue</h1>
      <QueueFilters filters={filters} counts={counts} known={known} onChange={setFilters} />
      {counts && <StatusSummary byStatus={counts.by_status} />}
      <p role="status" className="notice">
        {bulkResult}
      </p>
      {tickedIds.length > 0 && (
        <BulkBar
          ref={bulk}
          api={api}
          ids={tickedIds}
          onClear={() => setTicked(new Set())}
          onDone={(message) => {
            setBulkResult(message);
            setTicked(new Set());
            list.reload();
          }}
        />
      )}
      <LoadState load={list} what="cases" />
      {list.data && cases.length === 0 && <p>No cases match these filters.</p>}
      {cases.length > 0 && (
        <table className="cases" aria-busy={list.loading}>
          <caption>
            Cases {offset + 1}–{offset + cases.length} of {total}
          </caption>
          <TableHead
            columns={[
              <input
                key="all"
                type="checkbox"
                aria-label="Tick every case on this page"
                checked={allTicked}
                onChange={() => setTicked(allTicked ? new Set() : new Set(cases.map((c) => c.id)))}
              />,
              'Asked',
              'Route',
              'Variant · model',
              'Reasons',
              'Votes',
              'Last seen',
              'Status',
            ]}
          />
          <tbody>
            {cases.map((c, i) => (
              <CaseRow
                key={c.id}
                evalCase={c}
                current={i === active}
                ticked={ticked.has(c.id)}
                onToggle={() => toggle(c.id)}
                onFocus={() => setCursor(i)}
                linkRef={(el) => {
                  if (el) links.current.set(c.id, el);
                  else links.current.delete(c.id);
                }}
              />
            ))}
          </tbody>
        </table>
      )}
      {total > PAGE_SIZE && (
        <nav className="pager" aria-label="Pages">
          <button type="button" disabled={offset === 0} onClick={() => page(Math.max(0, offset - PAGE_SIZE))}>
            Previous page
          </button>
          <button
            type="button"
            disabled={offset + PAGE_SIZE >= total}
            onClick={() => page(offset + PAGE_SIZE)}
          >
            Next page
          </button>
        </nav>
      )}
      <p className="hint">
        <kbd>j</kbd>/<kbd>k</kbd> move, <kbd>Enter</kbd> opens, <kbd>x</kbd> ticks, <kbd>a</kbd> accepts,{' '}
        <kbd>r</kbd> rejects, <kbd>?</kbd> lists every shortcut.
      </p>
    </section>
  );
}

function StatusSummary({ byStatus }: { byStatus: Record<string, number> }) {
  return (
    <p className="summary">
      {(['new', 'accepted', 'rejected'] as const).map((status) => (
        <span key={status} className={`badge ${status}`}>
          {byStatus[status] ?? 0} {status}
        </span>
      ))}
    </p>
  );
}

interface CaseRowProps {
  evalCase: EvalCase;
  current: boolean;
  ticked: boolean;
  onToggle: () => void;
  onFocus: () => void;
  linkRef: (el: HTMLAnchorElement | null) => void;
}

function CaseRow({ evalCase: c, current, ticked, onToggle, onFocus, linkRef }: CaseRowProps) {
  const asked = excerpt(askedText(c.input)) || `Case ${c.id}`;
  return (
    <tr className={current ? 'current' : undefined} aria-current={current ? 'true' : undefined}>
      <td>
        <input type="checkbox" aria-label={`Tick: ${asked}`} checked={ticked} onChange={onToggle} />
      </td>
      <td className="asked">
        <a href={formatRoute({ view: 'case', id: c.id })} ref={linkRef} onFocus={onFocus}>
          {asked}
        </a>
        {c.comment && <span className="sub">{excerpt(c.comment, 100)}</span>}
      </td>
      <td>{c.route}</td>
      <td>
        {c.variant}
        {c.model && <span className="sub">{c.model}</span>}
      </td>
      <td>{c.reasons.join(', ')}</td>
      <td className="num">{c.count}</td>
      <td>{formatTime(c.lineage.last_seen_at)}</td>
      <td>
        <span className={`badge ${c.status}`}>{c.status}</span>
      </td>
    </tr>
  );
}
