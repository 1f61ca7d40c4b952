import type { InteractionEvent } from '@flywheel/contracts';
import type { FlywheelConfig } from '@flywheel/platform';
import { Registry } from 'prom-client';
import { InteractionEvents } from '../interactions/interaction-events';
import { GatewayMetrics } from '../interactions/gateway.metrics';
import { atSourceRedaction } from './at-source-redaction';

const route = (redaction?: 'at_source') => ({
  flag: 'f',
  default_variant: 'v',
  variants: { v: { chain: ['m'], allow_client_system: false } },
  ...(redaction ? { redaction } : {}),
});

const config = {
  providers: {},
  models: {},
  routes: { private: route('at_source'), plain: route() },
  feedback: { allowed_origins: [], token_ttl_s: 60, reasons: [] },
  curator: {
    join_ttl_s: 60,
    retention_days: 1,
    redaction: { enabled: false, extra_patterns: [String.raw`Project \w+`], max_field_chars: 4096 },
  },
} as unknown as FlywheelConfig; // only routes and curator.redaction are read

const event = (routeName: string | null): InteractionEvent =>
  ({
    interaction_id: 'i-1',
    route: routeName,
    variant: 'v',
    variant_reason: 'STATIC',
    subject_hash: 'a'.repeat(64),
    subject_generated: false,
    request: {
      messages: [
        { role: 'user', content: 'I am jane.doe@example.com, card 4111 1111 1111 1111, Project Falcon' },
      ],
      input: { 'ssn 078-05-1120': 'call +1 202-555-0143', nested: [{ dob: 'DOB: 1984-03-12' }] },
      stream: false,
    },
    attempts: [],
    final_model: 'm',
    status: 'ok',
    output: 'Mail jane.doe@example.com, ok.',
    output_json: { email: 'jane.doe@example.com' },
  }) as unknown as InteractionEvent;

describe('redaction: at_source', () => {
  it('redacts request, input keys and values, output and output_json of an at_source route before publishing', async () => {
    const published: unknown[] = [];
    const registry = new Registry();
    const events = new InteractionEvents(
      {
        // What would be serialized into the spool: the event's data as JSON.
        publish: (e) => {
          published.push(JSON.stringify(e.data));
          return Promise.resolve({ id: e.id ?? '', durable: true } as never);
        },
      },
      new GatewayMetrics(registry, { state: () => 'closed' }, []),
      { now: () => 0 } as never,
      1024 * 1024,
      atSourceRedaction(config, registry),
    );
    await events.record(event('private'));
    await events.record(event('plain'));
    await events.record(event(null));

    const [redacted, plain, direct] = published as string[];
    for (const raw of ['jane.doe', '4111', 'Falcon', '078-05-1120', '202-555', '1984-03-12'])
      expect(redacted).not.toContain(raw);
    expect(JSON.parse(redacted ?? '{}')).toMatchObject({
      redaction: 'at_source',
      request: {
        messages: [{ role: 'user', content: 'I am [EMAIL], card [CARD], [REDACTED]' }],
        input: { 'ssn [SSN]': 'call [PHONE]', nested: [{ dob: 'DOB: [DOB]' }] },
      },
      output: 'Mail [EMAIL], ok.',
      output_json: { email: '[EMAIL]' },
    });
    // Other routes and direct model calls go out as they came: the curator redacts them.
    expect(plain).toBe(JSON.stringify(event('plain')));
    expect(direct).toBe(JSON.stringify(event(null)));
  });

  it('is no hook at all when no route asks for it', () => {
    expect(
      atSourceRedaction({ ...config, routes: { plain: route() } } as FlywheelConfig, new Registry()),
    ).toBe(undefined);
  });
});
