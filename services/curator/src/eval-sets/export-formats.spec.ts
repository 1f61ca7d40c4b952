import { type EvalCase, EvalSetCase } from '@flywheel/contracts';
import { parse } from 'yaml';
import { toJsonl, toPromptfooAssertion, toPromptfooTests, toPromptfooYaml } from './export-formats';

const at = '2026-01-01T00:00:00.000Z';
const accepted = (over: Partial<EvalCase> = {}): EvalCase => ({
  id: 'case-1',
  route: 'demo-chat',
  status: 'accepted',
  count: 2,
  input: { messages: [{ role: 'user', content: 'When did Apollo 11 land?' }] },
  output: 'In 1972.',
  reasons: ['incorrect'],
  variant: 'candidate',
  model: 'sim-fast',
  expected: 'July 1969',
  assertions: [{ type: 'contains', value: '1969' }],
  lineage: { interaction_ids: ['i1', 'i2'], feedback_ids: ['f1', 'f2'], first_seen_at: at, last_seen_at: at },
  created_at: at,
  updated_at: at,
  ...over,
});

describe('toJsonl', () => {
  it('writes one EvalSetCase per line, newline-terminated', () => {
    const text = toJsonl([
      accepted(),
      accepted({ id: 'case-2', input: { vars: { ticket: 't' } }, expected: undefined }),
    ]);
    expect(text.endsWith('\n')).toBe(true);
    const lines = text
      .trimEnd()
      .split('\n')
      .map((l) => EvalSetCase.parse(JSON.parse(l)));
    expect(lines).toEqual([
      {
        case_id: 'case-1',
        route: 'demo-chat',
        input: { messages: [{ role: 'user', content: 'When did Apollo 11 land?' }] },
        expected: 'July 1969',
        assertions: [{ type: 'contains', value: '1969' }],
        variant: 'candidate',
        model: 'sim-fast',
        count: 2,
        reasons: ['incorrect'],
        lineage: { interaction_ids: ['i1', 'i2'], feedback_ids: ['f1', 'f2'] },
      },
      expect.objectContaining({ case_id: 'case-2', input: { vars: { ticket: 't' } } }),
    ]);
    expect(lines[1]).not.toHaveProperty('expected');
  });

  it('is empty for an empty set', () => {
    expect(toJsonl([])).toBe('');
  });
});

describe('toPromptfooAssertion', () => {
  const schema = { type: 'object', required: ['priority'] };
  it.each([
    [
      { type: 'equals', value: 'a' },
      { type: 'equals', value: 'a' },
    ],
    [
      { type: 'contains', value: 'a' },
      { type: 'contains', value: 'a' },
    ],
    [
      { type: 'not-contains', value: 'a' },
      { type: 'not-contains', value: 'a' },
    ],
    [
      { type: 'regex', pattern: '^\\d+$' },
      { type: 'regex', value: '^\\d+$' },
    ],
    [
      { type: 'similar', value: 'a b', threshold: 0.7 },
      { type: 'similar', value: 'a b', threshold: 0.7 },
    ],
    [
      { type: 'llm-judge', rubric: 'be kind', model: 'sim-fast' },
      { type: 'llm-rubric', value: 'be kind' },
    ],
    [
      { type: 'json-schema', schema },
      { type: 'is-json', value: schema },
    ],
  ] as const)('maps %j', (ours, theirs) => {
    expect(toPromptfooAssertion(ours)).toEqual(theirs);
  });

  it('uses the variant output_schema for json-schema without its own, and plain is-json without either', () => {
    expect(toPromptfooAssertion({ type: 'json-schema' }, schema)).toEqual({ type: 'is-json', value: schema });
    expect(toPromptfooAssertion({ type: 'json-schema' })).toEqual({ type: 'is-json' });
  });

  it('turns a regex with flags into a javascript check that keeps them', () => {
    const mapped = toPromptfooAssertion({ type: 'regex', pattern: 'a/b"c', flags: 'i' });
    expect(mapped.type).toBe('javascript');
    const check = new Function('output', `return ${String(mapped.value)}`) as (output: string) => boolean;
    expect(check('xA/B"Cx')).toBe(true);
    expect(check('ab"c')).toBe(false);
  });
});

describe('toPromptfooTests / toPromptfooYaml', () => {
  it('puts template variables in vars, chat inputs in a messages var, lineage in metadata', () => {
    const [chat, template] = toPromptfooTests([
      accepted(),
      accepted({ id: 'case-2', input: { vars: { ticket: 'Printer on fire' } } }),
    ]);
    expect(chat).toEqual({
      description: 'demo-chat case case-1 (incorrect), disliked 2×',
      vars: { messages: [{ role: 'user', content: 'When did Apollo 11 land?' }] },
      assert: [{ type: 'contains', value: '1969' }],
      metadata: {
        case_id: 'case-1',
        route: 'demo-chat',
        variant: 'candidate',
        model: 'sim-fast',
        count: 2,
        reasons: ['incorrect'],
        expected: 'July 1969',
        interaction_ids: ['i1', 'i2'],
        feedback_ids: ['f1', 'f2'],
      },
    });
    expect(template!.vars).toEqual({ ticket: 'Printer on fire' });
  });

  it('writes YAML that parses back to the same tests', () => {
    const cases = [
      accepted({ assertions: [{ type: 'json-schema' }, { type: 'llm-judge', rubric: 'x: "y"\nz' }] }),
    ];
    const schemaOf = (variant: string) => (variant === 'candidate' ? { type: 'object' } : undefined);
    const yaml = toPromptfooYaml('demo-chat', cases, schemaOf);
    expect(yaml.startsWith('# promptfoo tests for the route demo-chat')).toBe(true);
    expect(parse(yaml)).toEqual(toPromptfooTests(cases, schemaOf));
    expect(parse(toPromptfooYaml('demo-chat', []))).toEqual([]);
  });
});
