import { EvalRun, type EvalCaseResult, type EvalSetCase } from '@flywheel/contracts';
import type { Answer } from './assertions';
import { CallError, InvalidOutputError } from './gateway-client';
import { type EvalPlan, runEval, type RunListener } from './runner';
import { UsageError } from './usage-error';

const evalCase = (id: string, content = id): EvalSetCase => ({
  case_id: id,
  route: 'r',
  input: { messages: [{ role: 'user', content }] },
  assertions: [{ type: 'contains', value: 'good' }],
  variant: 'control',
  model: null,
  count: 1,
  reasons: [],
  lineage: { interaction_ids: [], feedback_ids: [] },
});

const plan: EvalPlan = {
  route: 'r',
  variant: 'v',
  repeat: 3,
  caseThreshold: 0.5,
  minPassRate: 0.9,
  concurrency: 2,
};

function recorder() {
  const events: string[] = [];
  const done: EvalCaseResult[] = [];
  const listener: RunListener = {
    start: (cases, runs) => events.push(`start ${cases} ${runs}`),
    run: () => events.push('run'),
    caseDone: (r) => done.push(r),
    stop: () => events.push('stop'),
  };
  return { events, done, listener };
}

/** The "model": answers per case id from a script of texts (or errors), one per call. */
function scripted(script: Record<string, (string | Error)[]>) {
  let inFlight = 0;
  let maxInFlight = 0;
  const answer = async (c: EvalSetCase): Promise<Answer> => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((r) => setImmediate(r));
    inFlight--;
    const next = script[c.case_id]?.shift();
    if (next === undefined) throw new Error(`no more answers for ${c.case_id}`);
    if (next instanceof Error) throw next;
    return { text: next };
  };
  const check = async (_c: EvalSetCase, a: Answer) => [
    a.text.includes('good')
      ? { type: 'contains', pass: true }
      : { type: 'contains', pass: false, message: 'expected the answer to contain "good"' },
  ];
  return { answer, check, maxInFlight: () => maxInFlight };
}

describe('runEval', () => {
  it('repeats every case, classifies outcomes, keeps case order and returns a valid EvalRun', async () => {
    const model = scripted({
      steady: ['good', 'good', 'good'],
      wobbly: ['good', 'bad', 'good'],
      broken: ['bad', 'bad', 'good'],
      down: ['good', new CallError('HTTP 502 upstream_unavailable: down'), 'good'],
      garbled: ['good', new InvalidOutputError('HTTP 502 structured_output_invalid: /a required'), 'good'],
    });
    const { events, done, listener } = recorder();
    const cases = ['steady', 'wobbly', 'broken', 'down', 'garbled'].map((id) => evalCase(id));
    const run = await runEval(cases, plan, { answer: model.answer, check: model.check, listener });

    expect(EvalRun.parse(run)).toEqual(run);
    expect(run.results.map((r) => [r.case_id, r.outcome, r.passes])).toEqual([
      ['steady', 'pass', 3],
      ['wobbly', 'flaky', 2],
      ['broken', 'fail', 1],
      ['down', 'error', 2],
      ['garbled', 'flaky', 2],
    ]);
    expect(run.results[3]?.error).toBe('HTTP 502 upstream_unavailable: down');
    expect(run.results[4]?.assertions).toEqual([
      { type: 'output_schema', pass: false, message: 'HTTP 502 structured_output_invalid: /a required' },
    ]);
    expect(run).toMatchObject({
      total: 5,
      passed: 1,
      flaky: 2,
      failed: 1,
      errored: 1,
      pass_rate: 0.6,
      gate: 'fail',
    });
    expect(events[0]).toBe('start 5 15');
    expect(events.filter((e) => e === 'run')).toHaveLength(15);
    expect(events.at(-1)).toBe('stop');
    expect(done.map((r) => r.case_id).sort()).toEqual(['broken', 'down', 'garbled', 'steady', 'wobbly']);
    expect(model.maxInFlight()).toBe(2);
  });

  it('flags a case that passed in the previous run and fails now', async () => {
    const model = scripted({ a: ['bad', 'bad', 'bad'], b: ['good', 'good', 'good'] });
    const previous = await runEval([evalCase('a'), evalCase('b')], plan, {
      ...scripted({ a: ['good', 'good', 'good'], b: ['good', 'good', 'good'] }),
      listener: recorder().listener,
    });
    const run = await runEval(
      [evalCase('a'), evalCase('b')],
      { ...plan, minPassRate: 0.5 },
      { ...model, listener: recorder().listener },
      previous,
    );
    expect(run).toMatchObject({ pass_rate: 0.5, regressions: ['a'], gate: 'fail' });
  });

  it('a usage error stops the run: no new call starts and it is rethrown', async () => {
    const calls: string[] = [];
    const { events, listener } = recorder();
    const answer = async (c: EvalSetCase): Promise<Answer> => {
      calls.push(c.case_id);
      throw new UsageError('no route named "r"');
    };
    await expect(
      runEval(
        [evalCase('a'), evalCase('b'), evalCase('c')],
        { ...plan, concurrency: 1 },
        {
          answer,
          check: async () => [],
          listener,
        },
      ),
    ).rejects.toThrow('no route named "r"');
    expect(calls).toEqual(['a']);
    expect(events.at(-1)).toBe('stop');
  });
});
