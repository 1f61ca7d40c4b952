import type { GateRecord } from './gate.store';
import { gateState } from './gate-view';

const record = (over: Partial<GateRecord> = {}): GateRecord => ({
  route: 'r',
  status: 'none',
  run_id: null,
  pass_rate: null,
  cases: null,
  min_pass_rate: null,
  config_hash: null,
  finished_at: null,
  requested: 0,
  ran: 0,
  request_reason: null,
  error: null,
  ...over,
});

const failed = record({
  status: 'failed',
  run_id: 'run-1',
  pass_rate: 0.5,
  cases: 4,
  min_pass_rate: 0.9,
  finished_at: new Date('2026-01-01T00:00:00Z'),
  requested: 1,
  ran: 1,
});

describe('gateState', () => {
  it('is none before the rollout owes a run', () => {
    expect(gateState(null).status).toBe('none');
    expect(gateState(record()).status).toBe('none');
  });

  it('is pending while the first run is owed, saying why and what went wrong', () => {
    expect(gateState(record({ requested: 1, request_reason: 'the rollout started' }))).toEqual({
      status: 'pending',
      note: 'running the regression set against the candidate (the rollout started)',
    });
    const down = gateState(record({ requested: 1, request_reason: 'x', error: 'curator unreachable' }));
    expect(down).toMatchObject({
      status: 'pending',
      note: expect.stringContaining('could not run (x): curator unreachable'),
    });
  });

  it('passes without accepted cases, and says so', () => {
    expect(
      gateState(record({ status: 'passed', pass_rate: 1, cases: 0, requested: 1, ran: 1 })),
    ).toMatchObject({
      status: 'passed',
      cases: 0,
      note: 'no accepted regression cases yet: the gate passes',
    });
  });

  it('stays failed with the failing run while a re-run is owed, so the hold holds', () => {
    expect(gateState(failed)).toMatchObject({
      status: 'failed',
      run_id: 'run-1',
      pass_rate: 0.5,
      note: 'run run-1: 50.0 % of 4 accepted cases passed (needs 90.0 %)',
    });
    const rerun = gateState({ ...failed, requested: 2, request_reason: 'case c-1 rejected' });
    expect(rerun).toMatchObject({ status: 'failed', run_id: 'run-1' });
    expect(rerun.note).toContain('(case c-1 rejected)');
  });

  it('does not let a stale pass advance while a re-run is owed', () => {
    const passed = { ...failed, status: 'passed' as const, pass_rate: 1 };
    expect(gateState(passed).status).toBe('passed');
    expect(gateState({ ...passed, requested: 2 }).status).toBe('pending');
  });
});
