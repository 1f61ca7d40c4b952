import Ajv from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { instanceFor, invalidInstanceFor } from './schema-instance';

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);

function validates(schema: object, value: unknown): boolean {
  const validate = ajv.compile(schema);
  const ok = validate(value);
  if (!ok && process.env.SIM_DEBUG) console.log(JSON.stringify(validate.errors));
  return ok;
}

/** Schemas the gateway is likely to send: hand-written, OpenAI strict, zod-style, draft-07. */
const schemas: Record<string, object> = {
  'flat object': {
    type: 'object',
    properties: { answer: { type: 'string' }, score: { type: 'number' }, ok: { type: 'boolean' } },
    required: ['answer', 'score', 'ok'],
  },
  'OpenAI strict with nullable and enum': {
    type: 'object',
    additionalProperties: false,
    properties: {
      sentiment: { type: 'string', enum: ['positive', 'negative', 'neutral'] },
      confidence: { type: 'number', minimum: 0, maximum: 1 },
      reason: { type: ['string', 'null'] },
      tags: { type: 'array', items: { type: 'string' } },
    },
    required: ['sentiment', 'confidence', 'reason', 'tags'],
  },
  nested: {
    type: 'object',
    properties: {
      user: {
        type: 'object',
        properties: {
          id: { type: 'integer', minimum: 1 },
          email: { type: 'string', format: 'email' },
          address: {
            type: 'object',
            properties: { city: { type: 'string', minLength: 3 }, zip: { type: 'string', maxLength: 5 } },
            required: ['city', 'zip'],
          },
        },
        required: ['id', 'email', 'address'],
      },
      items: {
        type: 'array',
        minItems: 2,
        maxItems: 3,
        uniqueItems: true,
        items: {
          type: 'object',
          properties: { sku: { type: 'string' }, qty: { type: 'integer', exclusiveMinimum: 0 } },
          required: ['sku', 'qty'],
        },
      },
    },
    required: ['user', 'items'],
  },
  'const, formats and bounds': {
    type: 'object',
    properties: {
      version: { const: 2 },
      kind: { type: 'string', const: 'report' },
      at: { type: 'string', format: 'date-time' },
      day: { type: 'string', format: 'date' },
      id: { type: 'string', format: 'uuid' },
      link: { type: 'string', format: 'uri' },
      price: { type: 'number', exclusiveMinimum: 10, exclusiveMaximum: 11 },
      cents: { type: 'number', multipleOf: 0.01, minimum: 0.3 },
      even: { type: 'integer', multipleOf: 2, minimum: 5, maximum: 9 },
      negative: { type: 'integer', maximum: -3 },
      short: { type: 'string', minLength: 40, maxLength: 42 },
      nothing: { type: 'null' },
    },
    required: [
      'version',
      'kind',
      'at',
      'day',
      'id',
      'link',
      'price',
      'cents',
      'even',
      'negative',
      'short',
      'nothing',
    ],
  },
  '$defs, $ref and anyOf (zod toJSONSchema style)': {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    properties: {
      primary: { $ref: '#/$defs/Contact' },
      others: { type: 'array', items: { $ref: '#/$defs/Contact' } },
      note: { anyOf: [{ type: 'null' }, { type: 'string', minLength: 1 }] },
      choice: { oneOf: [{ type: 'integer', minimum: 100 }, { type: 'string' }] },
    },
    required: ['primary', 'others', 'note', 'choice'],
    additionalProperties: false,
    $defs: {
      Contact: {
        type: 'object',
        properties: { name: { type: 'string' }, phone: { type: 'string' } },
        required: ['name'],
        additionalProperties: false,
      },
    },
  },
  'allOf merge': {
    allOf: [
      { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] },
      { properties: { b: { type: 'integer', minimum: 4 } }, required: ['b'] },
    ],
  },
  'recursive tree': {
    $ref: '#/$defs/Node',
    $defs: {
      Node: {
        type: 'object',
        properties: {
          label: { type: 'string' },
          children: { type: 'array', items: { $ref: '#/$defs/Node' } },
        },
        required: ['label', 'children'],
      },
    },
  },
  'tuple and property counts': {
    type: 'object',
    properties: {
      point: {
        type: 'array',
        prefixItems: [{ type: 'number' }, { type: 'number' }],
        items: false,
        minItems: 2,
      },
      bag: { type: 'object', minProperties: 2, additionalProperties: { type: 'integer' } },
    },
    required: ['point', 'bag'],
  },
  'root array': {
    type: 'array',
    items: { type: 'string', enum: ['x', 'y'] },
    minItems: 2,
    uniqueItems: true,
  },
  'untyped object by properties': { properties: { n: { minimum: 3 } }, required: ['n'] },
};

describe('instanceFor', () => {
  it.each(Object.entries(schemas))('produces an instance that validates: %s', (_name, schema) => {
    expect(validates(schema, instanceFor(schema, 'c0ffee12'))).toBe(true);
  });

  it('understands draft-07 tuples (items array + additionalItems) and definitions', () => {
    const schema = {
      type: 'object',
      properties: {
        list: { type: 'array', items: [{ type: 'string' }, { type: 'integer' }], additionalItems: false },
        ref: { $ref: '#/definitions/Pos' },
      },
      required: ['list', 'ref'],
      definitions: { Pos: { type: 'integer', exclusiveMinimum: 0 } },
    };
    const value = instanceFor(schema);
    expect(value).toEqual({ list: ['list_0 sim', 1], ref: 1 });
    expect(new Ajv({ strict: false }).validate(schema, value)).toBe(true);
  });

  it('is deterministic and carries the seed into strings', () => {
    const schema = schemas['flat object'] as object;
    expect(instanceFor(schema, 'aaaa1111')).toEqual(instanceFor(schema, 'aaaa1111'));
    expect(instanceFor(schema, 'aaaa1111')).toEqual({ answer: 'answer aaaa1111', score: 0, ok: false });
    expect(instanceFor(schema, 'bbbb2222')).not.toEqual(instanceFor(schema, 'aaaa1111'));
  });

  it('includes optional properties too', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' }, b: { type: 'integer' } } };
    expect(Object.keys(instanceFor(schema) as object)).toEqual(['a', 'b']);
  });
});

describe('invalidInstanceFor', () => {
  it.each(Object.entries(schemas))('produces valid JSON that fails the schema: %s', (_name, schema) => {
    const bad = invalidInstanceFor(schema, 'c0ffee12');
    expect(bad).toBeDefined();
    expect(JSON.parse(JSON.stringify(bad))).toEqual(bad);
    expect(validates(schema, bad)).toBe(false);
  });

  it('drops the first required property when there is one', () => {
    const schema = schemas['flat object'] as object;
    expect(invalidInstanceFor(schema, 's')).toEqual({ score: 0, ok: false });
  });

  it('breaks a property when nothing is required, and gives up only when anything goes', () => {
    const schema = { type: 'object', properties: { mood: { enum: ['up', 'down'] } } };
    expect(validates(schema, invalidInstanceFor(schema))).toBe(false);
    expect(invalidInstanceFor({})).toBeUndefined();
  });
});
