import { randomUUID } from 'node:crypto';
import type { ChatCompletionResponse, InvokeResponse } from '@flywheel/contracts';
import {
  type ErrorJson,
  OTHER_KEY,
  post,
  startGateway,
  type TestGateway,
  watchInteractions,
} from './gateway-test-kit';

/**
 * `Idempotency-Key` on both endpoints, on real Redis (REDIS_URL from the integration project's
 * globalSetup) and on the in-memory store: one upstream call (counted at the simulator) and one
 * interaction event (counted on Kafka) for repeated requests, 422 for the key with another body,
 * 409 for a duplicate while the first runs, keys scoped per API key. The gateways take bodies up
 * to the production default of 1 MiB, and one case sends bodies of that size.
 */

const MIB = 1024 * 1024;

/**
 * A chat request whose JSON is `bytes` long: a support thread of multi-byte, quote- and
 * markup-laden text (what users paste), filled to the exact size with ASCII.
 */
function chatBodyOfBytes(bytes: number, user: string): { model: string; user: string; messages: object[] } {
  const unit = 'Ticket #4711 “charged twice” — naïve café ☕ 🚀 <b>"x"</b> \\ \n ';
  const body = { model: 'ok', user, messages: [{ role: 'user', content: '' }] };
  const room = bytes - Buffer.byteLength(JSON.stringify(body));
  let content = unit.repeat(Math.floor(room / Buffer.byteLength(JSON.stringify(unit).slice(1, -1))));
  content += 'x'.repeat(room - (Buffer.byteLength(JSON.stringify(content)) - 2));
  body.messages[0]!.content = content;
  return body;
}

const REDIS_URL = process.env.REDIS_URL;
if (!REDIS_URL)
  throw new Error('REDIS_URL is not set: run in the integration project (its globalSetup starts Redis)');

let kafka: Awaited<ReturnType<typeof watchInteractions>>;
beforeAll(async () => {
  kafka = await watchInteractions();
});
afterAll(async () => {
  await kafka?.close();
});

const FLYWHEEL_HEADERS = [
  'x-flywheel-interaction-id',
  'x-flywheel-feedback-token',
  'x-flywheel-variant',
  'x-flywheel-model',
];
const flywheelHeaders = (res: Response) =>
  Object.fromEntries(FLYWHEEL_HEADERS.map((h) => [h, res.headers.get(h)]));

describe.each([
  ['redis', { REDIS_URL }],
  ['memory', {}],
] as const)('Idempotency-Key on the %s store', (kind, env) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({}, { ...env, GATEWAY_BODY_LIMIT_BYTES: String(MIB) });
    expect(kind).toBe(REDIS_URL && 'REDIS_URL' in env ? 'redis' : 'memory');
  }, 120_000);
  afterAll(async () => {
    await gw?.close();
  });
  const completions = () => gw.sim.stats().byBehaviour.ok ?? 0;

  /** Sends after the others; once its event is on Kafka, the events before it are too. */
  async function settleEvents(): Promise<void> {
    const res = await post(`${gw.url}/v1/chat/completions`, {
      model: 'ok',
      messages: [{ role: 'user', content: 'sentinel' }],
    });
    await kafka.event(((await res.json()) as ChatCompletionResponse).flywheel.interaction_id);
  }

  it('answers 3 identical invokes with one upstream call, one event and the same answer', async () => {
    gw.sim.reset();
    const key = randomUUID();
    const body = { input: { ticket: 'I was charged twice.', customer: 'Ada' }, user: `u-${key}` };
    const answers: Response[] = [];
    for (let i = 0; i < 3; i++) {
      answers.push(await post(`${gw.url}/v1/routes/triage/invoke`, body, { 'idempotency-key': key }));
    }
    const bodies = await Promise.all(answers.map((r) => r.json() as Promise<InvokeResponse>));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(bodies[1]).toEqual(bodies[0]);
    expect(bodies[2]).toEqual(bodies[0]);
    expect(answers.map((r) => r.headers.get('idempotent-replayed'))).toEqual([null, 'true', 'true']);
    for (const r of answers) expect(flywheelHeaders(r)).toEqual(flywheelHeaders(answers[0]!));
    expect(answers[0]!.headers.get('x-flywheel-interaction-id')).toBe(bodies[0]!.interaction_id);
    expect(completions()).toBe(1);

    await kafka.event(bodies[0]!.interaction_id);
    await settleEvents();
    expect(kafka.count(bodies[0]!.interaction_id)).toBe(1);
  }, 60_000);

  it('answers 3 identical chat completions with one upstream call; 422 for the key with another body', async () => {
    gw.sim.reset();
    const key = `"${randomUUID()}"`; // the draft's quoted form
    const body = {
      model: 'route:chat',
      user: 'u-chat-idem',
      messages: [{ role: 'user', content: 'Capital of France?' }],
    };
    const answers: Response[] = [];
    for (let i = 0; i < 3; i++)
      answers.push(await post(`${gw.url}/v1/chat/completions`, body, { 'idempotency-key': key }));
    const bodies = await Promise.all(answers.map((r) => r.json() as Promise<ChatCompletionResponse>));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1);
    expect(gw.sim.stats().requests).toBe(1);

    const other = await post(
      `${gw.url}/v1/chat/completions`,
      { ...body, messages: [{ role: 'user', content: 'Capital of Spain?' }] },
      { 'idempotency-key': key },
    );
    expect(other.status).toBe(422);
    const error = (await other.json()) as ErrorJson;
    expect(error.error.type).toBe('idempotency_key_reused');
    expect(JSON.stringify(error.error.details)).toContain('headers.idempotency-key');
    // the same key on the other endpoint is another request too
    const elsewhere = await post(
      `${gw.url}/v1/routes/chat/invoke`,
      { messages: body.messages },
      { 'idempotency-key': key },
    );
    expect(elsewhere.status).toBe(422);
    expect(gw.sim.stats().requests).toBe(1);

    await settleEvents();
    expect(kafka.count(bodies[0]!.flywheel.interaction_id)).toBe(1);
  }, 60_000);

  it('answers 3 identical 1 MiB requests with one upstream call; 422 for the key with one character changed', async () => {
    gw.sim.reset();
    const key = randomUUID();
    const body = chatBodyOfBytes(MIB - 64, `u-big-${key}`);
    expect(Buffer.byteLength(JSON.stringify(body))).toBe(MIB - 64);
    const answers: Response[] = [];
    for (let i = 0; i < 3; i++)
      answers.push(await post(`${gw.url}/v1/chat/completions`, body, { 'idempotency-key': key }));
    const bodies = await Promise.all(answers.map((r) => r.json() as Promise<ChatCompletionResponse>));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(answers.map((r) => r.headers.get('idempotent-replayed'))).toEqual([null, 'true', 'true']);
    expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1);
    expect(completions()).toBe(1);

    // the same size, one letter different half-way in: another request, refused
    const content = (body.messages[0] as { content: string }).content;
    let at = Math.floor(content.length / 2);
    while (!/[a-z]/.test(content[at]!)) at++;
    const flipped = content[at] === 'x' ? 'y' : 'x';
    const changed = {
      ...body,
      messages: [{ role: 'user', content: content.slice(0, at) + flipped + content.slice(at + 1) }],
    };
    expect(Buffer.byteLength(JSON.stringify(changed))).toBe(MIB - 64);
    const other = await post(`${gw.url}/v1/chat/completions`, changed, { 'idempotency-key': key });
    expect(other.status).toBe(422);
    expect(((await other.json()) as ErrorJson).error.type).toBe('idempotency_key_reused');
    expect(completions()).toBe(1);

    await settleEvents();
    expect(kafka.count(bodies[0]!.flywheel.interaction_id)).toBe(1);
  }, 120_000);

  it('makes one upstream call for concurrent duplicates: the others get 409 with Retry-After, then the answer', async () => {
    gw.sim.reset();
    const key = randomUUID();
    const body = { model: 'second', messages: [{ role: 'user', content: 'slow one' }] };
    const send = () => post(`${gw.url}/v1/chat/completions`, body, { 'idempotency-key': key });
    const first = send();
    await new Promise((resolve) => setTimeout(resolve, 200)); // the first has claimed the key
    const duplicates = await Promise.all([send(), send()]);
    for (const dup of duplicates) {
      expect(dup.status).toBe(409);
      expect(dup.headers.get('retry-after')).toBe('1');
      expect(((await dup.json()) as ErrorJson).error.type).toBe('idempotency_in_progress');
    }
    const original = await first;
    expect(original.status).toBe(200);
    const retried = await send();
    expect(retried.status).toBe(200);
    expect(retried.headers.get('idempotent-replayed')).toBe('true');
    expect(await retried.json()).toEqual(await original.json());
    expect(gw.sim.stats().byModel['sim-ok-slow-1000']).toBe(1);
  }, 60_000);

  it('keeps the keys of two API keys apart', async () => {
    gw.sim.reset();
    const key = randomUUID();
    const mine = await post(
      `${gw.url}/v1/chat/completions`,
      { model: 'ok', messages: [{ role: 'user', content: 'mine' }] },
      { 'idempotency-key': key },
    );
    const theirs = await post(
      `${gw.url}/v1/chat/completions`,
      { model: 'ok', messages: [{ role: 'user', content: 'theirs' }] },
      { 'idempotency-key': key, authorization: `Bearer ${OTHER_KEY}` },
    );
    expect([mine.status, theirs.status]).toEqual([200, 200]);
    expect(theirs.headers.get('idempotent-replayed')).toBeNull();
    expect(completions()).toBe(2);
  }, 60_000);

  it('runs a retry again when the first answer was an error', async () => {
    gw.sim.reset();
    const key = randomUUID();
    const body = { messages: [{ role: 'user', content: 'refused' }] };
    const first = await post(`${gw.url}/v1/routes/upstream-400/invoke`, body, { 'idempotency-key': key });
    expect(first.status).toBe(400);
    const second = await post(`${gw.url}/v1/routes/upstream-400/invoke`, body, { 'idempotency-key': key });
    expect(second.status).toBe(400);
    expect(second.headers.get('x-flywheel-interaction-id')).not.toBe(
      first.headers.get('x-flywheel-interaction-id'),
    );
    expect(gw.sim.stats().byModel['sim-400']).toBe(2);
  }, 60_000);

  it('refuses a key on a streaming request, and a malformed key, with the header path', async () => {
    gw.sim.reset();
    const stream = await post(
      `${gw.url}/v1/chat/completions`,
      { model: 'ok', stream: true, messages: [{ role: 'user', content: 'hi' }] },
      { 'idempotency-key': randomUUID() },
    );
    expect(stream.status).toBe(400);
    expect(((await stream.json()) as ErrorJson).error.message).toMatch(/stream: true/);
    const long = await post(
      `${gw.url}/v1/chat/completions`,
      { model: 'ok', messages: [{ role: 'user', content: 'hi' }] },
      { 'idempotency-key': 'k'.repeat(300) },
    );
    expect(long.status).toBe(400);
    expect(JSON.stringify(((await long.json()) as ErrorJson).error.details)).toContain(
      'headers.idempotency-key',
    );
    expect(gw.sim.stats().requests).toBe(0);
  }, 60_000);
});
