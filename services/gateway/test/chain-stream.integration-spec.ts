import { Attempt } from '@flywheel/contracts';
import { expectEventually } from '@flywheel/platform/testing';
import Ajv2020 from 'ajv/dist/2020';
import { createSimServer, type SimServer } from '../../upstream-sim/src';
import { type ChainStream, GatewayError } from '../src';
import { KINDS, simGateway } from './sim-gateway';

/** Streaming through the real SDK clients against the upstream simulator. */

const SIM_MODELS = [
  'sim-ok',
  'sim-500',
  'sim-timeout',
  'sim-stall',
  'sim-cutstream',
  'sim-badjson',
  'sim-invalidjson',
];
const messages = [{ role: 'user' as const, content: 'Tell me about the movie.' }];
const schema = {
  type: 'object',
  properties: { title: { type: 'string' }, year: { type: 'integer', minimum: 1900, maximum: 2100 } },
  required: ['title', 'year'],
  additionalProperties: false,
};
const isMovie = new Ajv2020().compile(schema);

let sim: SimServer;

beforeAll(async () => {
  sim = await createSimServer();
});

afterAll(async () => {
  await sim.close();
});

beforeEach(() => sim.reset());

async function drain(stream: ChainStream): Promise<{ deltas: string[]; error?: unknown }> {
  const deltas: string[] = [];
  try {
    for await (const d of stream) if (d.type === 'delta') deltas.push(d.text);
  } catch (error) {
    return { deltas, error };
  }
  return { deltas };
}

async function waitUntilIdle(): Promise<void> {
  await expectEventually(() => {
    const { inFlight, pendingTimers } = sim.stats();
    expect({ inFlight, pendingTimers }).toEqual({ inFlight: 0, pendingTimers: 0 });
  });
}

describe.each(KINDS)('%s provider', (kind) => {
  const m = (name: string) => `${kind}:${name}`;
  let gateway: ReturnType<typeof simGateway>;

  beforeEach(() => {
    gateway = simGateway(sim.url, SIM_MODELS);
  });

  it('streams the same answer as a completion, word by word, with usage in the final record', async () => {
    const full = await gateway.complete({ chain: [m('sim-ok')] }, { messages });
    const stream = gateway.stream({ chain: [m('sim-ok')] }, { messages });
    const { deltas, error } = await drain(stream);
    expect(error).toBeUndefined();
    expect(deltas.length).toBeGreaterThan(5);
    expect(deltas.join('')).toBe(full.response.text);
    const result = await stream.result;
    // the same answer from another call of the same model: only the provider's completion id differs
    expect(result.response).toEqual({ ...full.response, response_id: expect.any(String) });
    expect(result.response.response_id).not.toBe(full.response.response_id);
    expect(result.usage).toEqual(full.usage);
    expect(result.attempts).toEqual([expect.objectContaining({ status: 'ok', usage: full.usage })]);
  });

  it('fails over before the first token: a 500 goes to the next model', async () => {
    const stream = gateway.stream({ chain: [m('sim-500'), m('sim-ok')] }, { messages });
    expect(stream.model).toBeNull();
    const iterator = stream[Symbol.asyncIterator]();
    const first = await iterator.next();
    // known with the first token, so a transport can name it in headers sent with the first byte
    expect(stream.model).toBe(m('sim-ok'));
    const deltas = [first.value];
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) deltas.push(next.value);
    expect(deltas.map((d) => (d?.type === 'delta' ? d.text : '')).join('')).toContain(
      'simulated answer from sim-ok',
    );
    const result = await stream.result;
    expect(result.attempts.map((a) => `${a.status}:${a.error_class ?? ''}`)).toEqual([
      'error:server_error',
      'error:server_error',
      'error:server_error',
      'ok:',
    ]);
  });

  it.each(['sim-timeout', 'sim-stall'])(
    'fails over when no token arrives within first_token_timeout_ms (%s)',
    async (silent) => {
      const stream = gateway.stream(
        { chain: [m(silent), m('sim-ok')], first_token_timeout_ms: 250 },
        { messages },
      );
      const { deltas, error } = await drain(stream);
      expect(error).toBeUndefined();
      expect(deltas.join('')).toContain('sim-ok');
      const [timedOut, ok] = (await stream.result).attempts as [Attempt, Attempt];
      expect(timedOut).toMatchObject({ model: m(silent), status: 'timeout', error_class: 'timeout' });
      expect(timedOut.latency_ms).toBeGreaterThanOrEqual(245);
      expect(ok.status).toBe('ok');
      await waitUntilIdle();
    },
  );

  it('after the first token, a cut stream is a typed truncated error and a truncated attempt, with no failover', async () => {
    const stream = gateway.stream({ chain: [m('sim-cutstream'), m('sim-ok')] }, { messages });
    const { deltas, error } = await drain(stream);
    expect(deltas).toEqual(['This', ' is', ' a']);
    expect(error).toBeInstanceOf(GatewayError);
    const err = error as GatewayError;
    expect(err.code).toBe('truncated');
    await expect(stream.result).rejects.toBe(err);
    expect(err.outcome.attempts).toEqual([
      expect.objectContaining({ model: m('sim-cutstream'), status: 'truncated', error_class: 'truncated' }),
    ]);
    expect(Attempt.safeParse(err.outcome.attempts[0]).success).toBe(true);
    expect(err.outcome).toMatchObject({ final_model: m('sim-cutstream'), partial_output: 'This is a' });
    expect(sim.stats().byModel).toEqual({ 'sim-cutstream': 1 });
  });

  it('streams structured output and validates it at the end', async () => {
    const stream = gateway.stream({ chain: [m('sim-ok')], output_schema: schema }, { messages });
    const { deltas } = await drain(stream);
    const result = await stream.result;
    expect(JSON.parse(deltas.join(''))).toEqual(result.response.json);
    expect(isMovie(result.response.json)).toBe(true);
    expect(result.validation).toEqual({ schema: true, valid: true, repaired: false, reasks: 0 });
  });

  it('repairs streamed almost-JSON (sim-badjson)', async () => {
    const stream = gateway.stream({ chain: [m('sim-badjson')], output_schema: schema }, { messages });
    await drain(stream);
    const result = await stream.result;
    expect(isMovie(result.response.json)).toBe(true);
    expect(result.validation).toMatchObject({ valid: true, repaired: true });
  });

  it('never passes streamed JSON that fails the schema as valid', async () => {
    const stream = gateway.stream({ chain: [m('sim-invalidjson')], output_schema: schema }, { messages });
    const { error } = await drain(stream);
    expect(error).toMatchObject({
      code: 'structured_output_invalid',
      details: { errors: [{ path: '/', message: "must have required property 'title'" }] },
    });
    expect((error as GatewayError).outcome.validation).toMatchObject({ schema: true, valid: false });
  });

  it('aborting the caller signal while waiting for the first token cancels the upstream call', async () => {
    const controller = new AbortController();
    const stream = gateway.stream(
      { chain: [m('sim-stall'), m('sim-ok')] },
      { messages },
      { signal: controller.signal },
    );
    const drained = drain(stream);
    await expectEventually(() => expect(sim.stats().byModel['sim-stall']).toBe(1), { intervalMs: 10 });
    controller.abort();
    const { deltas, error } = await drained;
    expect(deltas).toEqual([]);
    expect(error).toMatchObject({ code: 'cancelled' });
    expect((error as GatewayError).outcome.attempts.map((a) => a.error_class)).toEqual(['cancelled']);
    await waitUntilIdle();
    expect(sim.stats().byModel['sim-ok']).toBeUndefined();
  });

  it('a consumer that stops reading early ends the stream as cancelled, with the attempt recorded', async () => {
    const stream = gateway.stream({ chain: [m('sim-ok')] }, { messages });
    for await (const d of stream) {
      expect(d).toEqual({ type: 'delta', text: 'This' });
      break;
    }
    const err = await stream.result.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({
      code: 'cancelled',
      outcome: { partial_output: 'This', final_model: m('sim-ok') },
    });
    expect((err as GatewayError).outcome.attempts).toEqual([
      expect.objectContaining({ status: 'error', error_class: 'cancelled' }),
    ]);
  });
});
