import fc from 'fast-check';
import { ADMIN_TOKEN, API_KEY, startGateway, type TestGateway } from './gateway-test-kit';

/**
 * Property: whatever JSON body and x-flywheel-* headers a caller sends, both endpoints answer
 * with a status below 500 (an answer, or a 4xx naming the problem) and the gateway stays up.
 * Bodies are drawn near the valid shapes, so many get past validation into routing, templates
 * and the upstream call; the rest is arbitrary JSON and arbitrary text.
 */

const RUNS = 300;

let gw: TestGateway;

beforeAll(async () => {
  gw = await startGateway();
});

afterAll(async () => {
  await gw?.close();
});

const anyJson = fc.jsonValue({ maxDepth: 4 });
const shortText = fc.string({ maxLength: 40 });
/** Header values fetch accepts: visible ASCII and spaces, no leading or trailing whitespace. */
const headerValue = fc
  .string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-_.:/ =ABCXYZ'), maxLength: 160 })
  .map((s) => s.trim());

const role = fc.oneof(fc.constantFrom('user', 'assistant', 'system', 'developer', 'tool'), shortText);
const content = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.array(
    fc.oneof(
      fc.record({ type: fc.constant('text'), text: fc.string({ maxLength: 50 }) }),
      fc.record({ type: shortText, text: anyJson }, { requiredKeys: ['type'] }),
    ),
    { maxLength: 4 },
  ),
  anyJson,
);
const message = fc.oneof(
  fc.record(
    { role, content, name: fc.option(shortText, { nil: undefined }) },
    { requiredKeys: ['role', 'content'] },
  ),
  anyJson,
);
const messages = fc.oneof(fc.array(message, { maxLength: 5 }), anyJson);

const validMessages = fc.array(
  fc.record({ role: fc.constantFrom('user', 'assistant'), content: fc.string({ maxLength: 120 }) }),
  { minLength: 1, maxLength: 4 },
);
const chatBody = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record(
      {
        model: fc.constantFrom('route:chat', 'route:triage', 'route:open-system', 'ok', 'claude-ok'),
        messages: validMessages,
        user: shortText.filter((u) => u.length > 0),
        stream: fc.boolean(),
      },
      { requiredKeys: ['model', 'messages'] },
    ),
  },
  fc.record(
    {
      model: fc.oneof(
        fc.constantFrom(
          'route:chat',
          'route:triage',
          'route:open-system',
          'route:nope',
          'ok',
          'claude-ok',
          'nope',
        ),
        shortText,
        anyJson,
      ),
      messages,
      user: fc.oneof(shortText, anyJson),
      stream: fc.oneof(fc.boolean(), anyJson),
      stream_options: fc.oneof(fc.record({ include_usage: fc.boolean() }), anyJson),
      temperature: fc.oneof(fc.double({ min: -1, max: 3, noNaN: true }), anyJson),
      max_tokens: fc.oneof(fc.integer({ min: -5, max: 50 }), anyJson),
      n: fc.oneof(fc.integer({ min: 0, max: 3 }), anyJson),
      tools: anyJson,
      response_format: anyJson,
    },
    { requiredKeys: [] },
  ),
  anyJson,
);

const invokeBody = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.oneof(
      fc.record({ input: fc.record({ ticket: fc.string({ maxLength: 80 }), customer: shortText }) }),
      fc.record({ messages: validMessages }),
    ),
  },
  fc.record(
    {
      input: fc.oneof(
        fc.record(
          { ticket: fc.oneof(shortText, anyJson), customer: fc.oneof(shortText, anyJson) },
          { requiredKeys: [] },
        ),
        fc.dictionary(shortText, anyJson, { maxKeys: 4 }),
        anyJson,
      ),
      messages,
      user: fc.oneof(shortText, anyJson),
      extra: anyJson,
    },
    { requiredKeys: [] },
  ),
  anyJson,
);

/** Each header absent most of the time, so that many requests get through to the upstream. */
const sometimes = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 4 });
const headers = fc
  .record({
    authorization: fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom(`Bearer ${API_KEY}`, `Bearer ${ADMIN_TOKEN}`) },
      { weight: 1, arbitrary: fc.constantFrom('Bearer wrong', '', `Basic ${API_KEY}`) },
    ),
    'x-flywheel-variant': sometimes(fc.oneof(fc.constantFrom('control', 'candidate', 'nope'), headerValue)),
    'x-flywheel-user': sometimes(headerValue),
    'x-flywheel-app': sometimes(headerValue),
    'x-flywheel-tenant': sometimes(headerValue),
    'x-flywheel-ctx-plan': sometimes(headerValue),
    'x-flywheel-ctx-__proto__': sometimes(headerValue),
    traceparent: sometimes(
      fc.oneof(headerValue, fc.constant('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')),
    ),
    'content-type': fc.oneof(
      { weight: 8, arbitrary: fc.constant('application/json') },
      { weight: 1, arbitrary: fc.constantFrom('application/json; charset=utf-8', 'text/plain') },
    ),
  })
  .map(
    (h) => Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined)) as Record<string, string>,
  );

/** A JSON text, or now and then arbitrary text that is probably not JSON. */
const asText = (body: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { weight: 9, arbitrary: body.map((b) => JSON.stringify(b) ?? 'null') },
    { weight: 1, arbitrary: fc.string() },
  );

const route = fc.oneof(fc.constantFrom('triage', 'chat', 'triage-repaired', 'nope'), fc.webSegment());

async function send(url: string, body: string, hdrs: Record<string, string>): Promise<number> {
  const res = await fetch(url, { method: 'POST', body, headers: hdrs });
  await res.arrayBuffer(); // streams too: read to the end
  return res.status;
}

it(`POST /v1/chat/completions never answers 5xx (${RUNS} runs)`, async () => {
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(asText(chatBody), headers, async (body, hdrs) => {
      const status = await send(`${gw.url}/v1/chat/completions`, body, hdrs);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      expect(status).toBeLessThan(500);
    }),
    { numRuns: RUNS },
  );
  // the draws reached both the upstream (200) and validation (400)
  expect(statuses.get(200)).toBeGreaterThan(0);
  expect(statuses.get(400)).toBeGreaterThan(0);
  expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
});

it(`POST /v1/routes/{route}/invoke never answers 5xx (${RUNS} runs)`, async () => {
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(route, asText(invokeBody), headers, async (name, body, hdrs) => {
      const status = await send(`${gw.url}/v1/routes/${encodeURIComponent(name)}/invoke`, body, hdrs);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      expect(status).toBeLessThan(500);
    }),
    { numRuns: RUNS },
  );
  expect(statuses.get(200)).toBeGreaterThan(0);
  expect(statuses.get(400)).toBeGreaterThan(0);
  expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
});
