import type { GateView } from '../decision/state-machine';
import type { GateRecord } from './gate.store';

/** The gate as the state shows it: what the decision code sees, and why. */
export type GateState = GateView & {
  note: string;
  cases?: number;
  min_pass_rate?: number;
  finished_at?: string;
};

const percent = (x: number) => `${(x * 100).toFixed(1)} %`;

/**
 * - no run yet and none owed: `none` (the gate runs when the rollout starts);
 * - a run owed after a failed one: still `failed` (the rollout stays held until a run passes);
 * - a run owed otherwise: `pending` (the rollout does not advance on a stale pass);
 * - else the last run's verdict; no accepted cases = `passed` with `cases: 0`.
 */
export function gateState(record: GateRecord | null): GateState {
  if (!record || (record.status === 'none' && record.requested <= record.ran))
    return { status: 'none', note: 'the regression gate runs when the rollout starts' };
  const last = lastRun(record);
  if (record.requested > record.ran) {
    const why = record.request_reason ?? 'requested';
    const doing = record.error
      ? `could not run (${why}): ${record.error}; retrying`
      : `running the regression set against the candidate (${why})`;
    if (record.status === 'failed') return { ...last, status: 'failed', note: `${last.note}; ${doing}` };
    return { status: 'pending', note: doing };
  }
  return last;
}

function lastRun(record: GateRecord): GateState {
  const result = {
    ...(record.run_id !== null && { run_id: record.run_id }),
    ...(record.pass_rate !== null && { pass_rate: record.pass_rate }),
    ...(record.cases !== null && { cases: record.cases }),
    ...(record.min_pass_rate !== null && { min_pass_rate: record.min_pass_rate }),
    ...(record.finished_at !== null && { finished_at: record.finished_at.toISOString() }),
  };
  const status = record.status === 'failed' ? 'failed' : 'passed';
  if (record.cases === 0)
    return { ...result, status, note: 'no accepted regression cases yet: the gate passes' };
  const rate = record.pass_rate === null ? 'n/a' : percent(record.pass_rate);
  const min = record.min_pass_rate === null ? 'n/a' : percent(record.min_pass_rate);
  return {
    ...result,
    status,
    note: `run ${record.run_id ?? '?'}: ${rate} of ${record.cases ?? '?'} accepted cases passed (needs ${min})`,
  };
}
