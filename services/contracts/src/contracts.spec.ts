import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventCatalog, Topics } from './catalog';
import { FeedbackRequest } from './http';
import { jsonSchemas } from './json-schema';

describe('contracts', () => {
  it('lists exactly the topics of infra/kafka/topics.json', () => {
    const file = JSON.parse(readFileSync(join(__dirname, '../../../infra/kafka/topics.json'), 'utf8')) as {
      topics: { name: string }[];
    };
    expect(file.topics.map((t) => t.name).sort()).toEqual(Object.values(Topics).sort());
  });

  it('routes every event type to its own topic, with interactions and feedback co-partitioned', () => {
    const file = JSON.parse(readFileSync(join(__dirname, '../../../infra/kafka/topics.json'), 'utf8')) as {
      topics: { name: string; partitions: number }[];
    };
    const partitions = (name: string) => file.topics.find((t) => t.name === name)?.partitions;
    expect(EventCatalog['dev.flywheel.interaction.v1'].topic).toBe(Topics.interactions);
    expect(EventCatalog['dev.flywheel.feedback.v1'].topic).toBe(Topics.feedback);
    expect(EventCatalog['dev.flywheel.eval-case.v1'].topic).toBe(Topics.evalCases);
    expect(EventCatalog['dev.flywheel.subject-erased.v1'].topic).toBe(Topics.subjects);
    expect(partitions(Topics.interactions)).toBe(partitions(Topics.feedback));
  });

  it('exports a JSON Schema for every contract, with required fields', () => {
    const schemas = jsonSchemas() as Record<
      string,
      { type: string; required?: string[]; properties: object }
    >;
    expect(Object.keys(schemas).sort()).toEqual(
      [
        'ErrorBody',
        'EvalCaseEvent',
        'FeedbackAccepted',
        'FeedbackEvent',
        'FeedbackRequest',
        'InteractionEvent',
        'SubjectErasedEvent',
      ].sort(),
    );
    expect(schemas.FeedbackEvent!.required).toEqual(
      expect.arrayContaining(['feedback_id', 'interaction_id', 'rating', 'revision']),
    );
    expect(schemas.InteractionEvent!.properties).toHaveProperty('attempts');
  });

  it('rejects a feedback body with unknown fields or over-long text, naming the field', () => {
    const ok = { interaction_id: 'i', token: 't', rating: 'down' as const };
    expect(FeedbackRequest.safeParse(ok).success).toBe(true);
    const extra = FeedbackRequest.safeParse({ ...ok, admin: true });
    expect(extra.success).toBe(false);
    const long = FeedbackRequest.safeParse({ ...ok, comment: 'x'.repeat(2001) });
    expect(long.success ? [] : long.error.issues.map((i) => i.path.join('.'))).toEqual(['comment']);
  });
});

describe('committed JSON Schemas', () => {
  it('match the zod schemas (run `npm run contracts:json-schema` after changing a contract)', () => {
    for (const [name, schema] of Object.entries(jsonSchemas())) {
      const committed = JSON.parse(
        readFileSync(join(__dirname, '..', 'json-schema', `${name}.json`), 'utf8'),
      ) as unknown;
      expect({ name, schema: committed }).toEqual({ name, schema });
    }
  });
});
