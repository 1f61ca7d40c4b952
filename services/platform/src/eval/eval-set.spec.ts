import { EvalSetError, parseEvalSet } from './eval-set';

const line = (id: string, extra: object = {}) =>
  JSON.stringify({
    case_id: id,
    route: 'support',
    input: { messages: [{ role: 'user', content: 'hi' }] },
    assertions: [{ type: 'contains', value: 'hello' }],
    variant: 'control',
    model: 'sim-ok',
    count: 1,
    reasons: ['wrong'],
    lineage: { interaction_ids: ['i1'], feedback_ids: ['f1'] },
    ...extra,
  });

describe('parseEvalSet', () => {
  it('reads one case per line and skips blank lines', () => {
    const cases = parseEvalSet(`${line('a')}\n\n${line('b')}\n`, 'evals/support.jsonl');
    expect(cases.map((c) => c.case_id)).toEqual(['a', 'b']);
    expect(cases[0]?.assertions).toEqual([{ type: 'contains', value: 'hello' }]);
  });

  it('applies contract defaults (similar threshold 0.6)', () => {
    const [c] = parseEvalSet(line('a', { assertions: [{ type: 'similar', value: 'x' }] }), 'f');
    expect(c?.assertions).toEqual([{ type: 'similar', value: 'x', threshold: 0.6 }]);
  });

  it('names every bad line: not JSON, contract violations, duplicate ids', () => {
    const text = [line('a'), '{oops', line('b', { assertions: [] }), line('a')].join('\n');
    let error: unknown;
    try {
      parseEvalSet(text, 'evals/support.jsonl');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(EvalSetError);
    const lines = (error as Error).message.split('\n');
    expect(lines[0]).toBe('evals/support.jsonl is not a valid eval set (one EvalSetCase JSON per line):');
    expect(lines[1]).toMatch(/^line 2: not JSON/);
    expect(lines[2]).toMatch(/^line 3: assertions: /);
    expect(lines[3]).toBe('line 4: case_id "a" is already on line 1');
  });
});
