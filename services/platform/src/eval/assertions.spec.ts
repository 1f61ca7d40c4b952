import { Assertion } from '@flywheel/contracts';
import { type AssertionDeps, checkAssertion, checkAssertions, similarity } from './assertions';

const noSchema: Pick<AssertionDeps, 'variantSchema'> = { variantSchema: () => undefined };
const text = (t: string) => ({ text: t });
/** Parses through the contract, so defaults (similar's threshold) apply as they do for real cases. */
const a = (raw: unknown) => {
  const parsed = Assertion.parse(raw);
  if (parsed.type === 'llm-judge') throw new Error('use checkAssertions for llm-judge');
  return parsed;
};

describe('text assertions', () => {
  it('equals: the whole answer, ignoring surrounding whitespace', () => {
    expect(checkAssertion(a({ type: 'equals', value: 'Paris' }), text('  Paris\n'), noSchema).pass).toBe(
      true,
    );
    const miss = checkAssertion(a({ type: 'equals', value: 'Paris' }), text('Paris, France'), noSchema);
    expect(miss).toEqual({ type: 'equals', pass: false, message: 'expected the answer to equal "Paris"' });
  });

  it('equals: a structured answer equals the same JSON written differently', () => {
    const answer = { text: '{"a":1,"b":[2]}', json: { a: 1, b: [2] } };
    expect(checkAssertion(a({ type: 'equals', value: '{ "b": [2], "a": 1 }' }), answer, noSchema).pass).toBe(
      true,
    );
    expect(checkAssertion(a({ type: 'equals', value: '{"a": 2, "b": [2]}' }), answer, noSchema).pass).toBe(
      false,
    );
    expect(checkAssertion(a({ type: 'equals', value: 'not json' }), answer, noSchema).pass).toBe(false);
  });

  it('contains and not-contains are case-sensitive substring checks', () => {
    const answer = text('The capital of France is Paris.');
    expect(checkAssertion(a({ type: 'contains', value: 'Paris' }), answer, noSchema).pass).toBe(true);
    expect(checkAssertion(a({ type: 'contains', value: 'paris' }), answer, noSchema)).toEqual({
      type: 'contains',
      pass: false,
      message: 'expected the answer to contain "paris"',
    });
    expect(checkAssertion(a({ type: 'not-contains', value: 'Lyon' }), answer, noSchema).pass).toBe(true);
    expect(checkAssertion(a({ type: 'not-contains', value: 'Paris' }), answer, noSchema)).toEqual({
      type: 'not-contains',
      pass: false,
      message: 'expected the answer not to contain "Paris"',
    });
  });

  it('regex honours its flags', () => {
    const answer = text('Order #A-1234 shipped');
    expect(checkAssertion(a({ type: 'regex', pattern: '#[A-Z]-\\d{4}' }), answer, noSchema).pass).toBe(true);
    expect(checkAssertion(a({ type: 'regex', pattern: 'SHIPPED' }), answer, noSchema)).toEqual({
      type: 'regex',
      pass: false,
      message: 'expected the answer to match /SHIPPED/',
    });
    expect(checkAssertion(a({ type: 'regex', pattern: 'SHIPPED', flags: 'i' }), answer, noSchema).pass).toBe(
      true,
    );
  });

  it('regex matches in linear time: a catastrophic pattern on a megabyte answer ends, with the right result', () => {
    // With a backtracking engine `(a+)+$` on this answer takes longer than the universe's age.
    const answer = text(`${'a'.repeat(1024 * 1024)}!`);
    expect(checkAssertion(a({ type: 'regex', pattern: '(a+)+$' }), answer, noSchema).pass).toBe(false);
    expect(checkAssertion(a({ type: 'regex', pattern: '(a+)+!$' }), answer, noSchema).pass).toBe(true);
    expect(checkAssertion(a({ type: 'regex', pattern: '^A+', flags: 'i' }), answer, noSchema).pass).toBe(
      true,
    );
    expect(
      checkAssertion(a({ type: 'regex', pattern: 'x.y', flags: 's' }), text('x\ny'), noSchema).pass,
    ).toBe(true);
    expect(
      checkAssertion(a({ type: 'regex', pattern: '^y$', flags: 'm' }), text('x\ny'), noSchema).pass,
    ).toBe(true);
  });

  it('regex fails, saying why, for syntax RE2 cannot run in linear time', () => {
    const result = checkAssertion(a({ type: 'regex', pattern: '(\\w)\\1' }), text('aa'), noSchema);
    expect(result.pass).toBe(false);
    expect(result.message).toMatch(/^the pattern \/\(\\w\)\\1\/ cannot be matched in linear time/);
  });

  it('cuts long values in messages', () => {
    const value = 'x'.repeat(200);
    const result = checkAssertion(a({ type: 'contains', value }), text('y'), noSchema);
    expect(result.message).toBe(`expected the answer to contain "${'x'.repeat(80)}…"`);
  });
});

describe('json-schema', () => {
  const schema = {
    type: 'object',
    properties: { priority: { enum: ['low', 'high'] }, summary: { type: 'string' } },
    required: ['priority', 'summary'],
    additionalProperties: false,
  };

  it('parses a text answer and checks it against the assertion schema', () => {
    const ok = checkAssertion(
      a({ type: 'json-schema', schema }),
      text('{"priority":"high","summary":"x"}'),
      noSchema,
    );
    expect(ok).toEqual({ type: 'json-schema', pass: true });
    const bad = checkAssertion(a({ type: 'json-schema', schema }), text('{"priority":"urgent"}'), noSchema);
    expect(bad.pass).toBe(false);
    expect(bad.message).toMatch(/^does not match the schema: /);
    expect(bad.message).toContain("must have required property 'summary'");
    expect(bad.message).toContain('/priority must be equal to one of the allowed values');
  });

  it('without a schema uses the variant output_schema, and says so when there is none', () => {
    const answer = { text: '{"priority":"low"}', json: { priority: 'low' } };
    const fromVariant = checkAssertion(a({ type: 'json-schema' }), answer, { variantSchema: () => schema });
    expect(fromVariant.pass).toBe(false);
    expect(fromVariant.message).toMatch(/^does not match the variant's output_schema: /);
    expect(checkAssertion(a({ type: 'json-schema' }), answer, noSchema)).toEqual({
      type: 'json-schema',
      pass: false,
      message: 'no schema to check against: the assertion has none and the variant has no output_schema',
    });
  });

  it('fails on an answer that is not JSON and on a schema that does not compile', () => {
    expect(
      checkAssertion(a({ type: 'json-schema', schema }), text('Sure! {"a":1}'), noSchema).message,
    ).toMatch(/^the answer is not JSON: /);
    const typo = checkAssertion(
      a({ type: 'json-schema', schema: { type: 'object', requried: ['a'] } }),
      text('{}'),
      noSchema,
    );
    expect(typo.pass).toBe(false);
    expect(typo.message).toMatch(/^invalid JSON Schema: .*requried/);
  });
});

describe('similar', () => {
  it('scores reworded answers with the same words high and unrelated ones low', () => {
    expect(similarity('The capital of France is Paris.', 'Paris is the capital of France.')).toBeGreaterThan(
      0.8,
    );
    expect(similarity('The capital of France is Paris.', 'I like turtles')).toBeLessThan(0.2);
    expect(similarity('Hello   World', 'hello world')).toBe(1);
  });

  it('passes at or above the threshold (default 0.6) and reports the score', () => {
    const pass = checkAssertion(
      a({ type: 'similar', value: 'Paris is the capital of France.' }),
      text('The capital of France is Paris.'),
      noSchema,
    );
    expect(pass.pass).toBe(true);
    expect(pass.score).toBeGreaterThan(0.8);
    const fail = checkAssertion(
      a({ type: 'similar', value: 'Paris', threshold: 0.9 }),
      text('Lyon'),
      noSchema,
    );
    expect(fail.pass).toBe(false);
    expect(fail.message).toMatch(/^similarity 0\.\d\d < 0\.9 to "Paris"$/);
  });
});

describe('checkAssertions', () => {
  it('runs every assertion in order and asks the judge for llm-judge with the case context', async () => {
    const judge = jest.fn<ReturnType<AssertionDeps['judge']>, Parameters<AssertionDeps['judge']>>();
    judge.mockResolvedValue({ pass: false, score: 0.2, reason: 'too curt' });
    const results = await checkAssertions(
      [
        { type: 'contains', value: 'Paris' },
        { type: 'llm-judge', rubric: 'Polite and complete', model: 'judge-x' },
      ],
      text('Paris'),
      { input: { messages: [{ role: 'user', content: 'Capital of France?' }] }, expected: 'Paris.' },
      { variantSchema: () => undefined, judge },
    );
    expect(results).toEqual([
      { type: 'contains', pass: true },
      { type: 'llm-judge', pass: false, score: 0.2, message: 'too curt' },
    ]);
    expect(judge).toHaveBeenCalledWith({
      rubric: 'Polite and complete',
      model: 'judge-x',
      input: { messages: [{ role: 'user', content: 'Capital of France?' }] },
      expected: 'Paris.',
      answer: 'Paris',
    });
  });
});
