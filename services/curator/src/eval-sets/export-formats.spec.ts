import { type EvalCase, EvalSetCase } from '@flywheel/contracts';
import { CmpStr, Normalizer } from 'cmpstr';
import fc from 'fast-check';
import { parse } from 'yaml';
import {
  nunjucksLiteral,
  similarAsJavascript,
  toJsonl,
  toPromptfooAssertion,
  toPromptfooTests,
  toPromptfooYaml,
} from './export-formats';

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

  it('writes a config that runs as-is: the messages prompt, the gateway provider and the tests', () => {
    const cases = [
      accepted({ assertions: [{ type: 'json-schema' }, { type: 'llm-judge', rubric: 'x: "y"\nz' }] }),
    ];
    const schemaOf = (variant: string) => (variant === 'candidate' ? { type: 'object' } : undefined);
    const yaml = toPromptfooYaml('demo-chat', cases, { gatewayUrl: 'http://gw:8080/' }, schemaOf);
    expect(yaml.startsWith('# promptfoo config for the route demo-chat')).toBe(true);
    expect(yaml).toContain('FLYWHEEL_API_KEY=… npx promptfoo eval -c demo-chat.promptfooconfig.yaml');
    expect(parse(yaml)).toEqual({
      description: 'Flywheel eval set of the route demo-chat: 1 accepted case(s)',
      prompts: [{ label: 'route demo-chat messages', raw: '{{ messages | dump }}' }],
      providers: [
        {
          id: 'openai:chat:route:demo-chat',
          label: 'flywheel route:demo-chat',
          config: { apiBaseUrl: 'http://gw:8080/v1', apiKeyEnvar: 'FLYWHEEL_API_KEY', headers: {} },
        },
      ],
      tests: toPromptfooTests(cases, schemaOf),
    });
    expect(parse(toPromptfooYaml('demo-chat', [], { gatewayUrl: 'http://gw' })).tests).toEqual([]);
  });

  it('pins a variant with the admin token', () => {
    const config = parse(
      toPromptfooYaml('demo-chat', [accepted()], { gatewayUrl: 'http://gw', variant: 'candidate' }),
    ) as { providers: { label: string; config: Record<string, unknown> }[] };
    expect(config.providers[0]).toMatchObject({
      label: 'flywheel route:demo-chat (variant candidate)',
      config: { apiKeyEnvar: 'FLYWHEEL_ADMIN_TOKEN', headers: { 'x-flywheel-variant': 'candidate' } },
    });
  });

  it("includes the route's prompt template and calls invoke for template-variable routes", () => {
    const cases = [
      accepted({ id: 'a', input: { vars: { ticket: 'Printer {{ on }} fire', lang: 'en' } } }),
      accepted({ id: 'b', input: { vars: { ticket: 'Late' } } }),
    ];
    const config = parse(
      toPromptfooYaml('triage', cases, {
        gatewayUrl: 'http://gw',
        variant: 'control',
        prompt: 'Triage this ticket: {{ticket}}',
      }),
    ) as { prompts: unknown[]; providers: unknown[]; tests: { vars: unknown }[] };
    expect(config.prompts).toEqual([{ label: 'route triage prompt', raw: 'Triage this ticket: {{ticket}}' }]);
    expect(config.providers).toEqual([
      {
        id: 'http',
        label: 'flywheel route:triage (variant control)',
        config: {
          url: 'http://gw/v1/routes/triage/invoke',
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: 'Bearer {{ env.FLYWHEEL_ADMIN_TOKEN }}',
            'x-flywheel-variant': 'control',
          },
          body: { input: { ticket: '{{ ticket }}', lang: '{{ lang }}' } },
          transformResponse: 'typeof json.output === "string" ? json.output : JSON.stringify(json.output)',
        },
      },
    ]);
    expect(config.tests.map((t) => t.vars)).toEqual([
      { ticket: 'Printer {{ on }} fire', lang: 'en' },
      { ticket: 'Late' },
    ]);
  });
});

describe('nunjucksLiteral', () => {
  it('leaves text without Nunjucks delimiters alone', () => {
    expect(nunjucksLiteral('plain { text } with % and #')).toBe('plain { text } with % and #');
  });

  it('wraps text with delimiters in a raw block, re-emitting an endraw inside it', () => {
    expect(nunjucksLiteral('D: {{ name }} in Jinja')).toBe('{% raw %}D: {{ name }} in Jinja{% endraw %}');
    expect(nunjucksLiteral('{# c #}')).toBe('{% raw %}{# c #}{% endraw %}');
    expect(nunjucksLiteral('a {% endraw %} b')).toBe(
      '{% raw %}a {% endraw %}{{ "{%" }}{% raw %} endraw %} b{% endraw %}',
    );
  });

  it('is applied to every string assertion value', () => {
    expect(toPromptfooAssertion({ type: 'contains', value: '{{ x }}' })).toEqual({
      type: 'contains',
      value: '{% raw %}{{ x }}{% endraw %}',
    });
    expect(toPromptfooAssertion({ type: 'llm-judge', rubric: 'no {% tags %}' })).toEqual({
      type: 'llm-rubric',
      value: '{% raw %}no {% tags %}{% endraw %}',
    });
  });
});

describe('similar as a javascript assertion', () => {
  // the runner's scorer (services/platform/src/eval/assertions.ts): cmpstr's dice, flags itwu
  const runner = CmpStr.create().setMetric('dice').setFlags('itwu');
  type Graded = { pass: boolean; score: number; reason: string };
  const grade = (value: string, threshold: number, output: string): Graded =>
    (new Function('output', `return ${similarAsJavascript(value, threshold)}`) as (o: string) => Graded)(
      output,
    );

  it('is what the export emits for similar, with no embeddings', () => {
    const mapped = toPromptfooAssertion({ type: 'similar', value: 'a b', threshold: 0.7 });
    expect(mapped).toEqual({ type: 'javascript', value: similarAsJavascript('a b', 0.7) });
    expect(String(mapped.value)).not.toContain('\n');
  });

  it("computes the runner's Dice–Sørensen score on any pair of texts", () => {
    const text = fc.string({
      unit: fc.constantFrom('a', 'b', 'A', 'é', 'e\u0301', ' ', '\t', '\n', '{', '}', '1', '-', 'ß', '😀'),
      maxLength: 30,
    });
    fc.assert(
      fc.property(text, text, fc.double({ min: 0, max: 1, noNaN: true }), (a, b, threshold) => {
        // cmpstr caches normalized strings under a weak 32-bit hash (4 UTF-16 units packed per
        // word, so units above 0xFF collide easily) and then scores another string: cleared, it
        // computes the true score
        Normalizer.clear();
        const expected = runner.compare(a, b);
        const graded = grade(b, threshold, a);
        expect(graded.score).toBeCloseTo(expected, 12);
        expect(graded.pass).toBe(expected >= threshold);
      }),
      { numRuns: 2000 },
    );
  });

  it('passes and fails like the runner on realistic answers', () => {
    const value = 'Your tracking number is TRK-4411.';
    expect(grade(value, 0.8, 'your  tracking number is TRK-4411')).toMatchObject({ pass: true });
    expect(grade(value, 0.8, 'Where is my parcel?')).toMatchObject({ pass: false });
    expect(grade(value, 0.8, 'Where is my parcel?').reason).toMatch(/^similarity 0\.\d\d < 0\.8$/);
    const long = 'lorem ipsum dolor '.repeat(50_000); // 900 kB
    expect(grade(long, 0.9, long.toUpperCase()).score).toBe(1);
  });
});
