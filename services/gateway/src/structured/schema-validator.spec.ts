import { SchemaValidator, schemaName } from './schema-validator';

const review = {
  title: 'Movie review',
  type: 'object',
  additionalProperties: false,
  properties: {
    sentiment: { enum: ['positive', 'negative'] },
    reviewer: {
      type: 'object',
      properties: { email: { type: 'string', format: 'email' } },
      required: ['email'],
    },
  },
  required: ['sentiment', 'reviewer'],
};

describe('SchemaValidator', () => {
  const validator = new SchemaValidator();

  it('compiles each schema object once and reuses it', () => {
    const schema = { type: 'string' };
    const first = validator.get(schema);
    expect(validator.get(schema)).toBe(first);
    expect(validator.get({ type: 'string' })).not.toBe(first);
  });

  it('accepts a valid value and reports every issue of an invalid one, with JSON pointer paths', () => {
    const compiled = validator.get(review);
    expect(
      compiled.validate({ sentiment: 'positive', reviewer: { email: 'a@example.com' } }),
    ).toBeUndefined();
    expect(compiled.validate({ sentiment: 'meh', reviewer: { email: 'not-an-email' }, extra: 1 })).toEqual(
      expect.arrayContaining([
        { path: '/', message: "must NOT have additional properties: 'extra'" },
        { path: '/sentiment', message: 'must be equal to one of the allowed values' },
        { path: '/reviewer/email', message: 'must match format "email"' },
      ]),
    );
    expect(compiled.validate([])).toEqual([{ path: '/', message: 'must be object' }]);
  });

  it('names the output after the schema title, made safe for providers', () => {
    expect(validator.get(review).spec).toEqual({ name: 'Movie_review', schema: review });
    expect(schemaName({ type: 'object' })).toBe('output');
    expect(schemaName({ title: 'x'.repeat(80) })).toHaveLength(64);
  });

  it('lets two variants share a schema with an $id', () => {
    const a = { $id: 'https://example.com/answer', type: 'object' };
    expect(() => {
      validator.get(a);
      validator.get({ ...a });
    }).not.toThrow();
  });

  it('rejects an invalid schema, strict about unknown keywords like the config loader', () => {
    expect(() => validator.get({ type: 'object', requried: ['a'] })).toThrow(/unknown keyword/);
  });
});
