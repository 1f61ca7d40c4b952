import OpenAI from 'openai';
import { EmbeddingsResponse, ModelList } from '@flywheel/contracts';
import { subjectHash } from '@flywheel/platform';
import { simVector } from '../../upstream-sim/src/embeddings';
import { API_KEY, gatewaySuite, post, SECRET } from './gateway-test-kit';

/**
 * `GET /v1/models` and `POST /v1/embeddings` through the real `openai` client: the configured
 * models and routes listed, vectors (float and base64) from an embedding model and through a
 * route that falls back, the interaction event of kind `embedding` on Kafka, and the 4xx for
 * mixing embeddings and chat.
 */

const t = gatewaySuite();
beforeEach(() => t.gw.sim.reset());

const norm = (v: readonly number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

describe('GET /v1/models', () => {
  it('lists every model id and route:<name>, as models.list() reads them', async () => {
    const ids: string[] = [];
    for await (const model of t.openai.models.list()) ids.push(model.id);
    const config = t.gw.gateway.config;
    expect(ids).toEqual([
      ...Object.keys(config.models),
      ...Object.keys(config.routes).map((r) => `route:${r}`),
    ]);
    const res = await fetch(`${t.gw.url}/v1/models`, { headers: { authorization: 'Bearer not-a-key' } });
    expect(res.status).toBe(401);
    const raw = ModelList.parse(
      await (
        await fetch(`${t.gw.url}/v1/models`, { headers: { authorization: `Bearer ${API_KEY}` } })
      ).json(),
    );
    expect(raw.data.find((m) => m.id === 'claude-ok')).toMatchObject({
      object: 'model',
      owned_by: 'sim-anthropic',
    });
    expect(raw.data.find((m) => m.id === 'route:chat')).toMatchObject({ owned_by: 'flywheel' });
  });

  it('retrieves one by id (route ids too); 404 for an unknown one', async () => {
    expect(await t.openai.models.retrieve('route:chat')).toMatchObject({ id: 'route:chat', object: 'model' });
    expect(await t.openai.models.retrieve('embed')).toMatchObject({ id: 'embed', owned_by: 'sim-openai' });
    const err = await t.openai.models.retrieve('nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('unknown_model');
  });
});

describe('POST /v1/embeddings', () => {
  const inputs = ['The movie was great.', 'Le film était génial. ' + 'ü'.repeat(3000), 'x'];

  it('answers float vectors: deterministic, unit length, one per input, recorded as an embedding', async () => {
    const { data, response } = await t.openai.embeddings
      .create({ model: 'embed', input: inputs, encoding_format: 'float', user: 'emb-user' })
      .withResponse();
    expect(EmbeddingsResponse.safeParse(data).error).toBeUndefined();
    expect(data.model).toBe('embed');
    expect(data.data.map((d) => d.index)).toEqual([0, 1, 2]);
    data.data.forEach((d, i) => {
      expect(d.embedding).toHaveLength(256);
      expect(norm(d.embedding)).toBeCloseTo(1, 5);
      expect(d.embedding).toEqual(simVector(inputs[i] as string, 256));
    });
    expect(data.data[0]?.embedding).not.toEqual(data.data[1]?.embedding);
    expect(data.usage.prompt_tokens).toBeGreaterThan(750);
    expect(t.gw.sim.received()[0]).toMatchObject({
      path: '/v1/embeddings',
      body: { model: 'sim-ok', input: inputs, encoding_format: 'float', user: 'emb-user' },
    });

    const id = response.headers.get('x-flywheel-interaction-id') as string;
    expect(response.headers.get('x-flywheel-model')).toBe('embed');
    const event = await t.kafka.event(id);
    expect(event).toMatchObject({
      kind: 'embedding',
      embedding: { vectors: 3, dimensions: 256 },
      route: null,
      final_model: 'embed',
      status: 'ok',
      output: null,
      subject_hash: subjectHash('emb-user', SECRET),
      request: { messages: inputs.map((content) => ({ role: 'user', content })), stream: false },
    });
    expect(event.cost_usd).toBeGreaterThan(0);
  });

  it('honours dimensions and base64 (the SDK decodes it to the same floats, to float32 precision)', async () => {
    const floats = await t.openai.embeddings.create({
      model: 'embed',
      input: 'hello',
      dimensions: 64,
      encoding_format: 'float',
    });
    expect(floats.data[0]?.embedding).toHaveLength(64);
    // the SDK asks for base64 when no encoding_format is given, and decodes it
    const decoded = await t.openai.embeddings.create({ model: 'embed', input: 'hello', dimensions: 64 });
    expect(t.gw.sim.received()[1]?.body).toMatchObject({ dimensions: 64 });
    decoded.data[0]?.embedding.forEach((x, i) =>
      expect(x).toBeCloseTo(floats.data[0]?.embedding[i] as number, 6),
    );
    const raw = await post(`${t.gw.url}/v1/embeddings`, {
      model: 'embed',
      input: ['hello'],
      dimensions: 64,
      encoding_format: 'base64',
    });
    const body = EmbeddingsResponse.parse(await raw.json());
    const b64 = body.data[0]?.embedding as string;
    expect(typeof b64).toBe('string');
    expect(Buffer.from(b64, 'base64').length).toBe(64 * 4);
  });

  it('goes through a route’s chain: falls back from a failing embedding model, with its variant', async () => {
    const { data, response } = await t.openai.embeddings
      .create({ model: 'route:embed-search', input: ['fallback'], encoding_format: 'float' })
      .withResponse();
    expect(data.model).toBe('embed');
    expect(response.headers.get('x-flywheel-variant')).toBe('control');
    const event = await t.kafka.event(response.headers.get('x-flywheel-interaction-id') as string);
    expect(event).toMatchObject({ kind: 'embedding', route: 'embed-search', final_model: 'embed' });
    expect(event.attempts[0]).toMatchObject({ model: 'embed-down', status: 'error' });
    expect(event.attempts.at(-1)).toMatchObject({ model: 'embed', status: 'ok' });
  });

  it.each([
    ['a chat model', { model: 'ok', input: 'x' }, 'model'],
    ['a chat route', { model: 'route:chat', input: 'x' }, 'model'],
    ['token arrays', { model: 'embed', input: [[1, 2, 3]] }, 'input'],
    ['an empty input', { model: 'embed', input: [''] }, 'input.0'],
    ['a bad encoding_format', { model: 'embed', input: 'x', encoding_format: 'int8' }, 'encoding_format'],
    ['an unknown field', { model: 'embed', input: 'x', frobnicate: 1 }, 'frobnicate'],
  ])('400 naming the field for %s', async (_what, body, field) => {
    const res = await post(`${t.gw.url}/v1/embeddings`, body);
    expect(res.status).toBe(400);
    const json = (await res.json()) as { error: { param: string | null; message: string } };
    expect(`${json.error.param ?? ''} ${json.error.message}`).toContain(field);
    expect(t.gw.sim.received()).toHaveLength(0);
  });

  it('refuses chat completions on an embedding model, naming model', async () => {
    const err = await t.openai.chat.completions
      .create({ model: 'embed', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.APIError>).param).toBe('model');
  });

  it('refuses invoke on an embedding route with a 400 pointing at /v1/embeddings, before any upstream call', async () => {
    const res = await post(`${t.gw.url}/v1/routes/embed-search/invoke`, {
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.status).toBe(400);
    const json = (await res.json()) as { error: { code: string; message: string } };
    expect(json.error.code).toBe('invalid_request');
    expect(json.error.message).toContain('POST /v1/embeddings');
    expect(t.gw.sim.received()).toHaveLength(0);
  });
});
