import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import { expectEventually } from '@flywheel/platform/testing';
import OpenAI from 'openai';
import { UpstreamHttp } from '../src/providers/upstream-fetch';
import { RecordingUpstream } from './recording-upstream';

/**
 * The SDKs' transport (UpstreamHttp.fetch) against a plain HTTP server that records what
 * arrives: what the real `openai` and `@anthropic-ai/sdk` clients send and read through it.
 */

let up: RecordingUpstream;
const http = new UpstreamHttp();

beforeAll(async () => {
  up = await RecordingUpstream.start();
});

afterAll(async () => {
  await http.close();
  await up.close();
});

beforeEach(() => {
  up.seen = [];
});

const COMPLETION = {
  id: 'c1',
  object: 'chat.completion',
  created: 1,
  model: 'm',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: 'Hi!', refusal: null },
      finish_reason: 'stop',
      logprobs: null,
    },
  ],
  usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
};

const openai = () =>
  new OpenAI({ apiKey: 'sk-test', baseURL: `${up.url}/v1`, maxRetries: 0, fetch: http.fetch });

describe('UpstreamHttp as the SDKs’ fetch', () => {
  it('carries the openai request (method, path, key, JSON body) and parses the answer', async () => {
    up.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'req_1' });
      res.end(JSON.stringify(COMPLETION));
    };
    const completion = await openai().chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'héllo' }],
    });
    expect(completion.choices[0]!.message.content).toBe('Hi!');
    expect(completion._request_id).toBe('req_1');
    expect(up.seen).toHaveLength(1);
    expect(up.seen[0]).toMatchObject({ method: 'POST', url: '/v1/chat/completions' });
    expect(up.seen[0]!.headers.authorization).toBe('Bearer sk-test');
    expect(up.seen[0]!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(up.seen[0]!.body)).toEqual({
      model: 'm',
      messages: [{ role: 'user', content: 'héllo' }],
    });
  });

  it('answers headers the way a Response does: any-case get, has, iteration, repeated ones joined', async () => {
    up.handler = (_req, res) => {
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.writeHead(200, { 'content-type': 'text/plain', 'X-Request-Id': 'req_2' });
      res.end('ok');
    };
    const res = await http.fetch(`${up.url}/v1/models?limit=1`, { method: 'GET' });
    expect(up.seen[0]).toMatchObject({ method: 'GET', url: '/v1/models?limit=1' });
    expect(res.headers.get('X-REQUEST-ID')).toBe('req_2');
    expect(res.headers.has('content-type')).toBe(true);
    expect(res.headers.get('x-missing')).toBeNull();
    expect(Object.fromEntries(res.headers.entries())).toMatchObject({
      'x-request-id': 'req_2',
      'set-cookie': 'a=1, b=2',
      'content-type': 'text/plain',
    });
    expect([...res.headers].length).toBe([...res.headers.keys()].length);
    expect(await res.text()).toBe('ok');
  });

  it('hands an error status, its body and its headers (Retry-After, repeated ones) to the SDK', async () => {
    up.handler = (_req, res) => {
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '2' });
      res.end(JSON.stringify({ error: { message: 'slow down', type: 'rate_limit' } }));
    };
    const err = await openai()
      .chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'q' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const apiError = err as InstanceType<typeof OpenAI.RateLimitError>;
    expect(apiError.status).toBe(429);
    expect(apiError.message).toContain('slow down');
    expect(apiError.headers.get('retry-after')).toBe('2');
    expect(apiError.headers.get('set-cookie')).toBe('a=1, b=2');
  });

  it('streams Anthropic server-sent events as they arrive', async () => {
    const events = [
      [
        'message_start',
        {
          type: 'message_start',
          message: {
            id: 'm1',
            type: 'message',
            role: 'assistant',
            content: [],
            model: 'c',
            stop_reason: null,
            stop_sequence: null,
            usage: { input_tokens: 4, output_tokens: 0 },
          },
        },
      ],
      [
        'content_block_start',
        { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      ],
      [
        'content_block_delta',
        { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hel' } },
      ],
      [
        'content_block_delta',
        { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'lo' } },
      ],
      ['content_block_stop', { type: 'content_block_stop', index: 0 }],
      [
        'message_delta',
        {
          type: 'message_delta',
          delta: { stop_reason: 'end_turn', stop_sequence: null },
          usage: { output_tokens: 2 },
        },
      ],
      ['message_stop', { type: 'message_stop' }],
    ] as const;
    up.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const [name, data] of events) res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
      res.end();
    };
    const client = new Anthropic({ apiKey: 'sk-ant', baseURL: up.url, maxRetries: 0, fetch: http.fetch });
    const stream = await client.messages.create({
      model: 'c',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    const text: string[] = [];
    for await (const event of stream) {
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta')
        text.push(event.delta.text);
    }
    expect(text).toEqual(['Hel', 'lo']);
    expect(up.seen[0]!.url).toBe('/v1/messages');
    expect(up.seen[0]!.headers.authorization).toBe('Bearer sk-ant');
    expect(up.seen[0]!.headers['anthropic-version']).toEqual(expect.any(String));
  });

  it('aborting the signal mid-body rejects the read and closes the upstream connection', async () => {
    up.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"partial":');
      // never ends
    };
    const before = up.closedConnections;
    const controller = new AbortController();
    const response = await http.fetch(`${up.url}/hang`, {
      method: 'POST',
      body: '{}',
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    const reading = response.text();
    controller.abort();
    await expect(reading).rejects.toMatchObject({ name: 'AbortError' });
    await expectEventually(() => expect(up.closedConnections).toBeGreaterThan(before), { timeoutMs: 2_000 });
  });

  describe('bounds what the SDK reads: 32 MiB an answer, 32 MiB a streamed line, 64 KiB an error', () => {
    const anthropic = () =>
      new Anthropic({ apiKey: 'sk-ant', baseURL: up.url, maxRetries: 0, fetch: http.fetch });
    const ask = { model: 'c', max_tokens: 16, messages: [{ role: 'user' as const, content: 'hi' }] };
    /** writes 1 MiB chunks of `fill` (after `head`) until the reader goes away or 64 are sent; never ends */
    const flood = (status: number, type: string, head: string, fill: string) => {
      const sent = { chunks: 0 };
      up.handler = async (_req, res) => {
        res.writeHead(status, { 'content-type': type });
        res.write(head);
        const mib = Buffer.alloc(1024 * 1024, fill);
        while (!res.destroyed && sent.chunks < 64) {
          sent.chunks++;
          if (!res.write(mib)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
        }
      };
      return sent;
    };

    it('refuses an answer announced over 32 MiB without reading it (invalid_output)', async () => {
      up.handler = (_req, res) => {
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': String(40 * 1024 * 1024),
        });
        res.write('{"id":');
      };
      const before = up.closedConnections;
      await expect(anthropic().messages.create(ask)).rejects.toMatchObject({
        errorClass: 'invalid_output',
        message: 'the upstream answer exceeds 32 MiB',
      });
      await expectEventually(() => expect(up.closedConnections).toBeGreaterThan(before), {
        timeoutMs: 2_000,
      });
    });

    it('stops reading an unannounced answer at 32 MiB (invalid_output)', async () => {
      const sent = flood(200, 'application/json', '{"id":"', 'x');
      await expect(anthropic().messages.create(ask)).rejects.toMatchObject({ errorClass: 'invalid_output' });
      expect(sent.chunks).toBeLessThan(64);
    });

    it('fails a stream whose line grows past 32 MiB, and still streams long ones made of short lines', async () => {
      const sent = flood(200, 'text/event-stream', 'event: content_block_delta\ndata: "', 'x');
      const reading = (async () => {
        const stream = await anthropic().messages.create({ ...ask, stream: true });
        for await (const event of stream) void event;
      })();
      await expect(reading).rejects.toMatchObject({ errorClass: 'invalid_output' });
      expect(sent.chunks).toBeLessThan(64);

      // 40 MiB in all, in lines of ~1 KiB: not bounded (a stream ends by its own stop or the deadline)
      const ping = 'event: ping\ndata: {"type": "ping", "pad": "' + 'p'.repeat(1000) + '"}\n\n';
      up.handler = async (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        for (let i = 0; i < 40 * 1024; i++) if (!res.write(ping)) await once(res, 'drain');
        res.end(
          'event: message_start\ndata: {"type":"message_start","message":{"id":"m","type":"message","role":"assistant","content":[],"model":"c","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":0}}}\n\n' +
            'event: message_stop\ndata: {"type":"message_stop"}\n\n',
        );
      };
      const types: string[] = [];
      const stream = await anthropic().messages.create({ ...ask, stream: true });
      for await (const event of stream) types.push(event.type);
      expect(types).toEqual(['message_start', 'message_stop']);
    });

    it('hands the SDK the first 64 KiB of a huge error answer, with its status', async () => {
      flood(500, 'text/plain', 'overloaded ', 'x');
      const err = (await anthropic()
        .messages.create(ask)
        .catch((e: unknown) => e)) as { status?: number; message?: string };
      expect(err.status).toBe(500);
      expect(err.message).toMatch(/^500 overloaded x+$/);
      expect(err.message!.length).toBeLessThan(64 * 1024 + 10);
    });
  });

  it('rejects like fetch when nothing listens, and sends non-string bodies through the global fetch', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/x`;
    await new Promise((resolve) => closed.close(resolve));
    await expect(http.fetch(deadUrl, { method: 'POST', body: '{}' })).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });

    up.handler = (_req, res) => void res.end('ok');
    const response = await http.fetch(`${up.url}/bytes`, {
      method: 'PUT',
      body: new TextEncoder().encode('raw'),
    });
    expect(await response.text()).toBe('ok');
    expect(up.seen[0]).toMatchObject({ method: 'PUT', url: '/bytes', body: 'raw' });
  });
});
