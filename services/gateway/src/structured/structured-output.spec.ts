import type { LlmResponse } from '../llm/llm.types';
import { SchemaValidator } from './schema-validator';
import { checkOutput, nextStep, reaskMessages } from './structured-output';

const schema = new SchemaValidator().get({
  type: 'object',
  properties: { city: { type: 'string' }, population: { type: 'integer' } },
  required: ['city', 'population'],
});
const usage = { input_tokens: 1, output_tokens: 1, total_tokens: 2 };
const answer = (text: string, json?: unknown): LlmResponse =>
  json === undefined ? { text, usage, finish_reason: 'stop' } : { text, json, usage, finish_reason: 'stop' };

describe('checkOutput', () => {
  it('accepts valid JSON text as is', async () => {
    const text = '{"city":"Lyon","population":522000}';
    expect(await checkOutput(answer(text), schema)).toEqual({
      valid: true,
      value: { city: 'Lyon', population: 522000 },
      repaired: false,
      text,
    });
  });

  it('never accepts output cut at the token limit (finish_reason: length), even when repair could close it', async () => {
    const cut = '{"city":"Lyon","population":522000,"notes":"the ci';
    const whole = { city: 'Lyon', population: 522000 };
    for (const response of [
      { text: cut, usage, finish_reason: 'length' as const },
      // valid and schema-conforming, but the model did not finish: more fields were coming
      { text: JSON.stringify(whole), usage, finish_reason: 'length' as const },
      { text: 'ignored', json: whole, usage, finish_reason: 'length' as const },
    ]) {
      const check = await checkOutput(response, schema);
      expect(check).toEqual({
        valid: false,
        repaired: false,
        errors: [{ path: '/', message: expect.stringContaining('finish_reason: length') }],
      });
    }
    // the same cut text with finish_reason stop is what repair is for
    expect(await checkOutput(answer(cut), schema)).toMatchObject({ valid: true, repaired: true });
  });

  it('validates an already-parsed value (Anthropic tool input) without parsing the text', async () => {
    const value = { city: 'Lyon', population: 1 };
    const check = await checkOutput(answer('not even looked at', value), schema);
    expect(check).toMatchObject({ valid: true, value, repaired: false });
  });

  it('repairs JSON that does not parse, then validates the repaired value', async () => {
    const check = await checkOutput(answer('{"city":"Lyon","population":522000,'), schema);
    expect(check).toEqual({
      valid: true,
      value: { city: 'Lyon', population: 522000 },
      repaired: true,
      text: '{"city":"Lyon","population":522000}',
    });
    const fenced = await checkOutput(answer('```json\n{"city":"Lyon","population":1}\n```'), schema);
    expect(fenced).toMatchObject({ valid: true, repaired: true, value: { city: 'Lyon', population: 1 } });
  });

  it('reports a repaired value that still fails the schema as invalid, never valid', async () => {
    const check = await checkOutput(answer('{"city":"Lyon",'), schema);
    expect(check).toEqual({
      valid: false,
      repaired: true,
      errors: [{ path: '/', message: "must have required property 'population'" }],
    });
  });

  it('does not "repair" JSON that parses but fails the schema', async () => {
    const check = await checkOutput(answer('{"city":"Lyon","population":"many"}'), schema);
    expect(check).toEqual({
      valid: false,
      repaired: false,
      errors: [{ path: '/population', message: 'must be integer' }],
    });
  });

  it('says so when the text cannot be repaired into JSON at all', async () => {
    const check = await checkOutput(answer(''), schema);
    expect(check).toMatchObject({
      valid: false,
      errors: [{ path: '/', message: expect.stringMatching(/not JSON/) }],
    });
  });
});

describe('nextStep', () => {
  const invalid = { valid: false as const, repaired: false, errors: [] };
  const valid = { valid: true as const, value: {}, repaired: false, text: '{}' };

  it('accepts valid output whatever the re-ask count', () => {
    expect(nextStep(valid, 0, 0)).toBe('accept');
    expect(nextStep(valid, 2, 2)).toBe('accept');
  });

  it('re-asks the same model while it has re-asks left, then moves on', () => {
    expect(nextStep(invalid, 0, 2)).toBe('reask');
    expect(nextStep(invalid, 1, 2)).toBe('reask');
    expect(nextStep(invalid, 2, 2)).toBe('next_model');
    expect(nextStep(invalid, 0, 0)).toBe('next_model');
  });
});

describe('reaskMessages', () => {
  it("replays the model's answer, then lists what is wrong with it", () => {
    const [previous, feedback] = reaskMessages('{"city":1}', [
      { path: '/city', message: 'must be string' },
      { path: '/', message: "must have required property 'population'" },
    ]);
    expect(previous).toEqual({ role: 'assistant', content: '{"city":1}' });
    expect(feedback?.role).toBe('user');
    expect(feedback?.content).toContain(
      "- /city: must be string\n- /: must have required property 'population'",
    );
  });

  it('lists at most ten issues', () => {
    const errors = Array.from({ length: 13 }, (_, i) => ({ path: `/${i}`, message: 'bad' }));
    const content = reaskMessages('[]', errors)[1]?.content ?? '';
    expect(content).toContain('- /9: bad');
    expect(content).not.toContain('- /10: bad');
    expect(content).toContain('…and 3 more');
  });
});
