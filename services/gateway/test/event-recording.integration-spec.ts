import type { ChatCompletionResponse, InvokeResponse } from '@flywheel/contracts';
import { type ErrorJson, post, startGateway, type TestGateway, watchInteractions } from './gateway-test-kit';

/**
 * Every answered request has its interaction event, on real Kafka: an event that cannot be built
 * is a clear error instead of a 200, and an event bigger than GATEWAY_EVENT_MAX_BYTES keeps what
 * fits, marked `truncated`, instead of being refused by the broker (message.max.bytes 1 MiB).
 */

const MIB = 1024 * 1024;
let gw: TestGateway;
let kafka: Awaited<ReturnType<typeof watchInteractions>>;

beforeAll(async () => {
  [gw, kafka] = await Promise.all([
    startGateway({}, { GATEWAY_BODY_LIMIT_BYTES: String(2 * MIB) }),
    watchInteractions(),
  ]);
}, 120_000);

afterAll(async () => {
  await kafka?.close();
  await gw?.close();
});

/** `{"a":{"a":…"bottom"…}}` as JSON text (JSON.stringify itself overflows at 10,000 levels). */
function nestedJson(levels: number): string {
  return `${'{"a":'.repeat(levels)}"bottom"${'}'.repeat(levels)}`;
}

function nested(levels: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

describe('input nested 10,000 levels deep', () => {
  it('gets a 400 with the path on /invoke, before any upstream call', async () => {
    gw.sim.reset();
    const res = await post(
      `${gw.url}/v1/routes/echo-template/invoke`,
      `{"input": {"document": "short", "extra": ${nestedJson(10_000)}}}`,
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorJson;
    expect(body.error.type).toBe('invalid_request');
    expect(body.error.message).toMatch(/^input\.extra(\.a)+: input nests deeper than 64 levels$/);
    const issues = (body.error.details as { issues: { path: string }[] }).issues;
    expect(issues[0]!.path.split('.')).toHaveLength(65);
    expect(gw.sim.stats().requests).toBe(0);
  });

  it('is answered on /invoke when it nests 60 levels, and its event carries the input', async () => {
    const input = { document: 'deep but fine', extra: nested(60) };
    const res = await post(`${gw.url}/v1/routes/echo-template/invoke`, { input });
    expect(res.status).toBe(200);
    const body = (await res.json()) as InvokeResponse;
    const event = await kafka.event(body.interaction_id);
    expect(event.request.input).toEqual(input);
    expect(event.truncated).toBeUndefined();
  });

  it('gets a 400 with the field path in chat message content', async () => {
    const res = await post(
      `${gw.url}/v1/chat/completions`,
      `{"model": "echo", "messages": [{"role": "user", "content": [${nestedJson(10_000)}]}]}`,
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorJson;
    expect(body.error.type).toBe('invalid_request');
    expect(JSON.stringify(body.error.details)).toContain('messages.0.content');
  });

  it('is ignored in a chat field the gateway does not record, and the event arrives', async () => {
    const res = await post(
      `${gw.url}/v1/chat/completions`,
      `{"model": "echo", "messages": [{"role": "user", "content": "hello deep"}], "metadata": ${nestedJson(10_000)}}`,
    );
    // an unknown field the OpenAI API would take is either refused with its path or ignored
    if (res.status !== 200) {
      expect(res.status).toBe(400);
      expect(((await res.json()) as ErrorJson).error.type).toBe('invalid_request');
      return;
    }
    const body = (await res.json()) as ChatCompletionResponse;
    const event = await kafka.event(body.flywheel.interaction_id);
    expect(event.request.messages).toEqual([{ role: 'user', content: 'hello deep' }]);
  });
});

describe('an event over the size bound', () => {
  it('keeps a 1 MiB chat message and its 1 MiB echo to under 960 KiB, marked truncated; the answer is whole', async () => {
    const content = 'The quick brown fox jumps over the lazy dog. '.repeat(Math.ceil(MIB / 45)).slice(0, MIB);
    const res = await post(`${gw.url}/v1/chat/completions`, {
      model: 'echo',
      messages: [
        { role: 'system', content: 'Repeat after me.' },
        { role: 'user', content },
      ],
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as ChatCompletionResponse;
    expect(body.choices[0]!.message.content).toBe(content);

    const event = await kafka.event(body.flywheel.interaction_id, 60_000);
    const bytes = Buffer.byteLength(JSON.stringify(event), 'utf8');
    expect(bytes).toBeLessThanOrEqual(960 * 1024);
    expect(bytes).toBeGreaterThan(900 * 1024);
    expect(event.request.messages[0]).toEqual({ role: 'system', content: 'Repeat after me.' });
    const kept = event.request.messages[1]!.content;
    expect(content.startsWith(kept)).toBe(true);
    expect(event.output).toBe(kept);
    expect(event.truncated).toMatchObject({
      max_bytes: 960 * 1024,
      fields_total: 2,
      fields: expect.arrayContaining([
        { path: 'request.messages.1.content', original_bytes: MIB, kept_bytes: kept.length },
        { path: 'output', original_bytes: MIB, kept_bytes: kept.length },
      ]),
    });
    expect(event.truncated!.original_bytes).toBeGreaterThan(2 * MIB);
  }, 120_000);

  it('cuts a 1 MiB invoke input inside its structure, and the next small event still arrives', async () => {
    const document = 'x'.repeat(MIB - 200);
    const res = await post(`${gw.url}/v1/routes/echo-template/invoke`, { input: { document, lang: 'en' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as InvokeResponse;
    expect(body.output).toBe(`Summarize: ${document}`);
    const event = await kafka.event(body.interaction_id, 60_000);
    expect(Buffer.byteLength(JSON.stringify(event), 'utf8')).toBeLessThanOrEqual(960 * 1024);
    expect(event.request.input!.lang).toBe('en');
    expect(document.startsWith(event.request.input!.document as string)).toBe(true);
    expect(event.truncated!.fields.map((f) => f.path).sort()).toEqual([
      'output',
      'request.input.document',
      'request.messages.0.content',
    ]);

    const small = await post(`${gw.url}/v1/routes/echo-template/invoke`, { input: { document: 'tiny' } });
    expect(small.status).toBe(200);
    const smallEvent = await kafka.event(((await small.json()) as InvokeResponse).interaction_id);
    expect(smallEvent.truncated).toBeUndefined();
    expect(smallEvent.output).toBe('Summarize: tiny');
  }, 120_000);
});
