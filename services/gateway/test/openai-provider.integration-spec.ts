import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { systemClock } from '@flywheel/platform';
import { expectEventually } from '@flywheel/platform/testing';
import { createSimServer, type SimServer } from '../../upstream-sim/src';
import type { LlmRequest, LlmStreamEvent } from '../src/llm/llm.types';
import type { LlmProvider } from '../src/providers/llm-provider';
import { createOpenAiProvider } from '../src/providers/openai/openai.provider';
import { ProviderError } from '../src/providers/provider-error';
import { UpstreamHttp } from '../src/providers/upstream-fetch';
import { RecordingUpstream, type UpstreamHandler } from './recording-upstream';

/**
 * `kind: openai` over the gateway's own HTTP client (no SDK): what it sends, how it reads JSON
 * and server-sent events however the bytes arrive, and how each upstream failure is classified,
 * against a node:http server scripted per test (and the upstream simulator).
 */

let up: RecordingUpstream;
const http = new UpstreamHttp();
let provider: LlmProvider;

beforeAll(async () => {
  up = await RecordingUpstream.start();
  provider = build(`${up.url}/v1/`);
});

afterAll(async () => {
  await http.close();
  await up.close();
});

beforeEach(() => {
  up.seen = [];
});

function build(baseUrl: string): LlmProvider {
  return createOpenAiProvider(
    { kind: 'openai', base_url: baseUrl, api_key_env: 'K', timeout_ms: 5_000 },
    { apiKey: 'sk-test', clock: systemClock, fetch: http.fetch, post: http.post },
  );
}

const request: LlmRequest = { model: 'm', messages: [{ role: 'user', content: 'héllo' }], max_tokens: 9 };
const options = () => ({ signal: new AbortController().signal });

function completion(content: string) {
  return {
    id: 'c1',
    object: 'chat.completion',
    created: 1,
    model: 'm-2026',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, refusal: null },
        finish_reason: 'stop',
        logprobs: null,
      },
    ],
    usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
  };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  ((_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }) satisfies UpstreamHandler;

function chunk(delta: object, finish: string | null = null, usage: object | null = null) {
  return {
    id: 's1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm-s',
    choices: [{ index: 0, delta, finish_reason: finish }],
    usage,
  };
}

/** A complete stream's event-stream text, as OpenAI sends it (with a keep-alive comment). */
const SSE = [
  ': keep-alive',
  '',
  `data: ${JSON.stringify(chunk({ role: 'assistant', content: 'Hé' }))}`,
  '',
  `data: ${JSON.stringify(chunk({ content: 'llo 👋' }))}`,
  '',
  `data: ${JSON.stringify(chunk({}, 'stop'))}`,
  '',
  `data: ${JSON.stringify({ ...chunk({}), choices: [], usage: { prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 } })}`,
  '',
  'data: [DONE]',
  '',
  '',
].join('\r\n');

/** Writes `bytes` in pieces of `size` bytes, each its own TCP write (splitting lines and UTF-8 characters). */
async function writeInPieces(res: ServerResponse, bytes: Buffer, size: number): Promise<void> {
  for (let i = 0; i < bytes.length; i += size) {
    res.write(bytes.subarray(i, i + size));
    await delay(1);
  }
}

async function drain(events: AsyncIterable<LlmStreamEvent>): Promise<LlmStreamEvent[]> {
  const out: LlmStreamEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (err: unknown) => err as ProviderError,
  );

describe('the openai provider over the gateway’s HTTP client', () => {
  it('posts the mapped request with its key and headers, and maps the answer', async () => {
    up.handler = json(200, completion('Hi!'));
    const answer = await provider.complete(request, options());
    expect(answer).toMatchObject({
      text: 'Hi!',
      finish_reason: 'stop',
      usage: { input_tokens: 3, output_tokens: 2, total_tokens: 5 },
      response_model: 'm-2026',
      response_id: 'c1',
    });
    expect(up.seen).toHaveLength(1);
    expect(up.seen[0]).toMatchObject({ method: 'POST', url: '/v1/chat/completions' });
    expect(up.seen[0]!.headers).toMatchObject({
      authorization: 'Bearer sk-test',
      'content-type': 'application/json',
      accept: 'application/json',
      'user-agent': 'flywheel-gateway',
    });
    expect(JSON.parse(up.seen[0]!.body)).toEqual({
      model: 'm',
      messages: [{ role: 'user', content: 'héllo' }],
      max_completion_tokens: 9,
    });
  });

  it('reads an event stream split at odd byte boundaries (CRLF, comments, UTF-8 inside a character, [DONE])', async () => {
    for (const size of [1, 7, 64]) {
      up.handler = async (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        await writeInPieces(res, Buffer.from(SSE), size);
        res.end();
      };
      const events = await drain(provider.stream(request, options()));
      expect(events).toEqual([
        { type: 'delta', text: 'Hé' },
        { type: 'delta', text: 'llo 👋' },
        {
          type: 'done',
          finish_reason: 'stop',
          usage: { input_tokens: 4, output_tokens: 3, total_tokens: 7 },
          response_model: 'm-s',
          response_id: 's1',
        },
      ]);
      expect(JSON.parse(up.seen.at(-1)!.body)).toMatchObject({
        stream: true,
        stream_options: { include_usage: true },
      });
    }
  });

  it('classifies an error answer from its JSON body, with Retry-After, and reuses the connection', async () => {
    up.handler = json(200, completion('warm-up'));
    await provider.complete(request, options());
    const before = up.connections;

    up.handler = json(429, { error: { message: 'slow down', type: 'rate_limit' } }, { 'retry-after': '2' });
    expect(await failure(provider.complete(request, options()))).toMatchObject({
      errorClass: 'rate_limited',
      httpStatus: 429,
      retryAfterMs: 2_000,
      message: '429 slow down',
    });
    up.handler = json(503, { error: { code: 'busy' } }, { 'retry-after-ms': '150' });
    expect(await failure(provider.complete(request, options()))).toMatchObject({
      errorClass: 'server_error',
      retryAfterMs: 150,
      message: '503 {"code":"busy"}',
    });
    up.handler = json(401, { error: { message: 'bad key' } }, { 'retry-after': '5' });
    expect(await failure(drain(provider.stream(request, options())))).toMatchObject({
      errorClass: 'auth',
      httpStatus: 401,
      retryAfterMs: undefined,
      message: '401 bad key',
    });
    expect(up.connections).toBe(before);
  });

  it('classifies a non-JSON 5xx by its status, with its text as the message', async () => {
    up.handler = (_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>Bad Gateway</html>');
    };
    expect(await failure(provider.complete(request, options()))).toMatchObject({
      errorClass: 'server_error',
      httpStatus: 502,
      message: '502 <html>Bad Gateway</html>',
    });
    up.handler = (_req, res) => void res.writeHead(500).end();
    expect(await failure(provider.complete(request, options()))).toMatchObject({
      errorClass: 'server_error',
      message: '500 status code (no body)',
    });
  });

  it('reads only the head of a huge error body and closes that connection', async () => {
    up.handler = (_req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.write('x'.repeat(200_000));
      // never ends
    };
    const before = up.closedConnections;
    const err = await failure(provider.complete(request, options()));
    expect(err).toMatchObject({ errorClass: 'server_error', httpStatus: 500 });
    expect(err!.message).toHaveLength('500 '.length + 64 * 1024);
    await expectEventually(() => expect(up.closedConnections).toBeGreaterThan(before), { timeoutMs: 2_000 });
  });

  it('fails with `network` when the connection resets mid-body, whole or streamed', async () => {
    up.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '500' });
      res.write(JSON.stringify(completion('cut')).slice(0, 60));
      setImmediate(() => res.socket?.destroy());
    };
    expect(await failure(provider.complete(request, options()))).toMatchObject({ errorClass: 'network' });

    const events: LlmStreamEvent[] = [];
    up.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify(chunk({ content: 'part' }))}\n\n`);
      setTimeout(() => res.socket?.destroy(), 20);
    };
    const err = await failure(
      (async () => {
        for await (const e of provider.stream(request, options())) events.push(e);
      })(),
    );
    expect(events).toEqual([{ type: 'delta', text: 'part' }]);
    expect(err).toMatchObject({ errorClass: 'network' });
  });

  it('fails with `network` when a stream ends before its finish_reason, or sends an error event', async () => {
    up.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`data: ${JSON.stringify(chunk({ content: 'a' }))}\n\ndata: [DONE]\n\n`);
    };
    expect(await failure(drain(provider.stream(request, options())))).toMatchObject({
      errorClass: 'network',
      message: 'stream ended before its finish_reason',
    });
    up.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`data: ${JSON.stringify({ error: { message: 'overloaded mid-stream' } })}\n\n`);
    };
    expect(await failure(drain(provider.stream(request, options())))).toMatchObject({
      errorClass: 'network',
      message: 'overloaded mid-stream',
    });
  });

  it('reads a 1 MiB answer whole', async () => {
    const big = 'é'.repeat(512 * 1024); // 1 MiB of UTF-8
    up.handler = json(200, completion(big));
    const answer = await provider.complete(request, options());
    expect(answer.text).toBe(big);
  });

  it('refuses an answer over 32 MiB (invalid_output) without reading it, announced or not', async () => {
    up.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(40 * 1024 * 1024) });
      res.write('{"id":');
    };
    expect(await failure(provider.complete(request, options()))).toMatchObject({
      errorClass: 'invalid_output',
    });

    let sent = 0;
    up.handler = async (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const mib = Buffer.alloc(1024 * 1024, 'x');
      while (!res.destroyed && sent < 64) {
        sent++;
        if (!res.write(mib)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
      }
      res.end();
    };
    expect(await failure(provider.complete(request, options()))).toMatchObject({
      errorClass: 'invalid_output',
    });
    expect(sent).toBeLessThan(64);
  });

  it('embeds through POST /embeddings', async () => {
    up.handler = json(200, {
      object: 'list',
      model: 'e',
      data: [
        { object: 'embedding', index: 1, embedding: [0, 1] },
        { object: 'embedding', index: 0, embedding: [1, 0] },
      ],
      usage: { prompt_tokens: 4, total_tokens: 4 },
    });
    const answer = await provider.embed!({ model: 'e', input: ['a', 'b'] }, options());
    expect(answer.vectors).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect(up.seen[0]).toMatchObject({ method: 'POST', url: '/v1/embeddings' });
    expect(JSON.parse(up.seen[0]!.body)).toEqual({ model: 'e', input: ['a', 'b'], encoding_format: 'float' });
  });

  it('rejects when the signal aborts, and closes that connection', async () => {
    up.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify(chunk({ content: 'a' }))}\n\n`);
    };
    const before = up.closedConnections;
    const controller = new AbortController();
    const events = provider.stream(request, { signal: controller.signal })[Symbol.asyncIterator]();
    expect(await events.next()).toEqual({ done: false, value: { type: 'delta', text: 'a' } });
    const next = events.next();
    controller.abort();
    await expect(next).rejects.toBeInstanceOf(ProviderError);
    await expectEventually(() => expect(up.closedConnections).toBeGreaterThan(before), { timeoutMs: 2_000 });
  });
});

describe('the openai provider against the upstream simulator', () => {
  let sim: SimServer;
  let simProvider: LlmProvider;
  const simRequest: LlmRequest = { model: 'sim-ok', messages: [{ role: 'user', content: 'hi' }] };

  beforeAll(async () => {
    sim = await createSimServer();
    simProvider = build(`${sim.url}/v1`);
  });
  afterAll(() => sim.close());

  it('answers whole and streamed, and classifies its faults as the SDK did', async () => {
    const ok = await simProvider.complete({ ...simRequest, model: 'sim-ok' }, options());
    expect(ok.text.length).toBeGreaterThan(0);
    const streamed = await drain(simProvider.stream({ ...simRequest, model: 'sim-drip-1' }, options()));
    expect(streamed.at(-1)).toMatchObject({ type: 'done', finish_reason: 'stop' });
    expect(streamed.filter((e) => e.type === 'delta').length).toBeGreaterThan(1);

    expect(
      await failure(simProvider.complete({ ...simRequest, model: 'sim-429-3' }, options())),
    ).toMatchObject({
      errorClass: 'rate_limited',
      retryAfterMs: 3_000,
    });
    expect(
      await failure(simProvider.complete({ ...simRequest, model: 'sim-reset' }, options())),
    ).toMatchObject({
      errorClass: 'network',
    });
    expect(
      await failure(drain(simProvider.stream({ ...simRequest, model: 'sim-cutstream' }, options()))),
    ).toMatchObject({ errorClass: 'network' });
  });
});
