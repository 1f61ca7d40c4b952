import { createJsonSchemaValidator, jsonSchemaProblem } from './json-schema';

describe('createJsonSchemaValidator', () => {
  it('validates draft 2020-12 schemas, formats included', () => {
    const validate = createJsonSchemaValidator().compile({
      type: 'object',
      required: ['email', 'tags'],
      properties: {
        email: { type: 'string', format: 'email' },
        tags: { type: 'array', prefixItems: [{ const: 'a' }] },
      },
    });

    expect(validate({ email: 'a@example.com', tags: ['a'] })).toBe(true);
    expect(validate({ email: 'not-an-email', tags: ['a'] })).toBe(false);
    expect(validate({ email: 'a@example.com', tags: ['b'] })).toBe(false);
  });

  it('compiles the same $id twice on one instance (variants sharing a schema)', () => {
    const ajv = createJsonSchemaValidator();
    const schema = { $id: 'https://example.com/s', type: 'string' };

    expect(jsonSchemaProblem(ajv, schema)).toBeUndefined();
    expect(jsonSchemaProblem(ajv, { ...schema })).toBeUndefined();
  });

  it('accepts an explicit draft 2020-12 $schema and refuses others by name', () => {
    const ajv = createJsonSchemaValidator();

    expect(
      jsonSchemaProblem(ajv, { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object' }),
    ).toBeUndefined();
    expect(jsonSchemaProblem(ajv, { $schema: 'http://json-schema.org/draft-07/schema#' })).toMatch(
      /unsupported \$schema .*draft-07/,
    );
  });
});
