import { connect, type Socket } from 'node:net';
import { Controller, Get, Inject, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { SecretSet } from '../http/auth';
import { DomainError } from '../http/domain-error';
import { buildOpenApi } from '../http/openapi';
import { expectEventually } from '../testing/expect-eventually';
import { ZodBody } from '../http/zod-body.pipe';
import { bearerAuth, callerLabel, normalizePath } from './request-gate';
import { type HostedService, hostService, provideValues } from './service-host';

/**
 * A service built on the host with one fake controller and nothing else: it gets /healthz,
 * /readyz, /metrics, /docs, the error mapping, the request gates and graceful close for free.
 */

const Echo = z.strictObject({ name: z.string().min(1), n: z.number().int() });

/** What the fake service's handlers depend on: a way to hold a request open. */
class Latch {
  entered = 0;
  private release: () => void = () => undefined;
  private readonly opened = new Promise<void>((resolve) => (this.release = resolve));
  wait(): Promise<void> {
    this.entered += 1;
    return this.opened;
  }
  open(): void {
    this.release();
  }
}

@Controller()
class FakeController {
  constructor(@Inject(Latch) private readonly latch: Latch) {}

  @Post('v1/echo')
  echo(@Req() req: FastifyRequest) {
    return { ...new ZodBody(Echo).transform(req.body), caller: callerLabel<string>(req) };
  }

  @Get('v1/boom')
  boom() {
    throw new Error('secret internals: password=hunter2');
  }

  @Get('v1/limited')
  limited() {
    throw new DomainError('rate_limited', 'slow down', undefined, { 'retry-after': '3' });
  }

  @Get('v1/teapot')
  teapot() {
    throw new DomainError('teapot', 'short and stout');
  }

  @Get('v1/broken')
  broken() {
    throw new DomainError('backend_down', 'the backend is down');
  }

  @Get('v1/slow')
  async slow() {
    await this.latch.wait();
    return { done: true };
  }
}

const KEY = 'fake-service-key-0123';

const ADMIN = 'fake-admin-token-0123';

interface Fake {
  service: HostedService & { latch: Latch };
  backendUp: { value: boolean };
  /** how often the backend check ran */
  checks: { count: number };
  log: string[];
}

async function startFake(readinessCacheMs = 1_000): Promise<Fake> {
  const backendUp = { value: true };
  const checks = { count: 0 };
  const log: string[] = [];
  const host = {
    service: 'fake',
    port: 0,
    host: '127.0.0.1',
    readinessAdmin: new SecretSet([{ secret: ADMIN, label: 'admin' }]),
    readiness: { cacheMs: readinessCacheMs },
  };
  const service = await hostService(host, ({ own }) => {
    own({ close: async () => void log.push('owned closed') });
    const latch = new Latch();
    return {
      controllers: [FakeController],
      providers: provideValues(latch),
      openapi: buildOpenApi({ title: 'fake', version: '1' }, [
        {
          method: 'post',
          path: '/v1/echo',
          summary: 'echo',
          request: Echo,
          responses: { 200: { description: 'ok' } },
        },
      ]),
      errorStatus: { teapot: 418, backend_down: 503 },
      bodyLimit: 1024,
      gates: [
        bearerAuth(new SecretSet([{ secret: KEY, label: 'tester' }]), { prefix: '/v1/', message: 'key!' }),
      ],
      readiness: [
        {
          name: 'backend',
          check: async () => {
            checks.count += 1;
            if (!backendUp.value) throw new Error('down: kafka-1.internal:9092 refused');
          },
        },
      ],
      onDrain: async () => void log.push('drained'),
      onStopped: async () => void log.push('stopped'),
      expose: { latch },
    };
  });
  return { service, backendUp, checks, log };
}

interface ErrorJson {
  error: {
    type: string;
    code: string;
    param: string | null;
    message: string;
    details?: unknown;
    error_id?: string;
  };
}

/** Writes raw bytes on a socket and resolves with everything the server sent until it went quiet. */
function raw(url: string, request: string): Promise<{ status: number; text: string; socket: Socket }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(request));
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString('utf8');
      const head = text.indexOf('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(text)?.[1];
      if (head >= 0 && length !== undefined && text.length >= head + 4 + Number(length)) {
        resolve({ status: Number(text.slice(9, 12)), text, socket });
      }
    });
    socket.on('error', reject);
  });
}

describe('the service host', () => {
  let fake: Fake;
  let url: string;
  const get = (path: string, key: string | null = KEY) =>
    fetch(`${url}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  const post = (path: string, body: string) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      body,
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    });

  beforeAll(async () => {
    fake = await startFake();
    url = fake.service.url;
  });
  afterAll(() => fake.service.close());

  it('listens and gives its URL with a loopback host', () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('validates bodies with zod; a 400 names the field path in OpenAI-shaped code and param', async () => {
    const ok = await post('/v1/echo', JSON.stringify({ name: 'a', n: 1 }));
    expect(ok.status).toBe(201);
    expect(await ok.json()).toEqual({ name: 'a', n: 1, caller: 'tester' });
    const bad = await post('/v1/echo', JSON.stringify({ name: 'a', n: 1.5 }));
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as ErrorJson;
    expect(body.error).toMatchObject({ type: 'invalid_request', code: 'invalid_request', param: 'n' });
    expect(body.error.details).toEqual({ issues: [{ path: 'n', message: expect.any(String) }] });
  });

  it('answers malformed JSON with 400, a too-large body with 413, an unknown path with 404', async () => {
    const malformed = await post('/v1/echo', '{"name": ');
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as ErrorJson).error.code).toBe('invalid_json');
    const big = await post('/v1/echo', JSON.stringify({ name: 'x'.repeat(2000), n: 1 }));
    expect(big.status).toBe(413);
    expect(((await big.json()) as ErrorJson).error.code).toBe('payload_too_large');
    const missing = await get('/v1/nope');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as ErrorJson).error.code).toBe('not_found');
  });

  it('maps the service’s own codes, passes their headers, and hides internals of a 500 behind an error_id', async () => {
    expect((await get('/v1/teapot')).status).toBe(418);
    const limited = await get('/v1/limited');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    const broken = await get('/v1/broken');
    expect(broken.status).toBe(503);
    expect(((await broken.json()) as ErrorJson).error).toEqual({
      type: 'backend_down',
      code: 'backend_down',
      param: null,
      message: 'the backend is down',
      error_id: expect.any(String),
    });
    const boom = await get('/v1/boom');
    expect(boom.status).toBe(500);
    const text = await boom.text();
    expect(text).not.toContain('hunter2');
    expect(JSON.parse(text)).toEqual({
      error: {
        type: 'internal_error',
        code: 'internal_error',
        param: null,
        message: 'internal error',
        error_id: expect.any(String),
      },
    });
  });

  it('refuses a request without the key with 401, on percent-encoded and absolute-form targets too', async () => {
    const plain = await get('/v1/teapot', null);
    expect(plain.status).toBe(401);
    expect(plain.headers.get('www-authenticate')).toBe('Bearer');
    expect(((await plain.json()) as ErrorJson).error).toMatchObject({
      code: 'unauthorized',
      message: 'key!',
    });
    for (const target of [
      '/%76%31/teapot',
      '/v1/%74eapot',
      `${url}/v1/teapot`,
      `${url}/%76%31/teapot?x=1`,
      '//v1//teapot',
    ]) {
      const res = await raw(url, `GET ${target} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`);
      res.socket.destroy();
      expect([target, res.status]).toEqual([target, 401]);
    }
  });

  it('refuses before the body is read: a body that never finishes, or would not parse, still gets 401 at once', async () => {
    for (const target of ['/v1/echo', '/%76%31/echo', `${url}/v1/echo`]) {
      const unfinished = await raw(
        url,
        `POST ${target} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000000\r\n\r\n{"name": `,
      );
      unfinished.socket.destroy();
      expect([target, unfinished.status]).toEqual([target, 401]);
    }
    const unparsable = await fetch(`${url}/%76%31/echo`, {
      method: 'POST',
      body: '{"name": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(unparsable.status).toBe(401);
  });

  it('serves healthz, readyz (503 when a check fails), metrics with per-route HTTP counters, and docs', async () => {
    expect(await (await get('/healthz', null)).json()).toEqual({ status: 'ok', service: 'fake' });
    const ready = await get('/readyz', null);
    expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready' }]);
    fake.backendUp.value = false;
    // the last round of checks is reused for up to a second
    await expectEventually(async () => expect((await get('/readyz', null)).status).toBe(503), {
      timeoutMs: 10_000,
    });
    // anonymous: not ready, and nothing about which backend or why
    const anonymous = await (await get('/readyz', null)).text();
    expect(JSON.parse(anonymous)).toEqual({ status: 'not_ready' });
    expect(anonymous).not.toMatch(/backend|kafka|refused/);
    // the admin token sees the checks
    const admin = await get('/readyz', ADMIN);
    expect(admin.status).toBe(503);
    expect(await admin.json()).toEqual({
      status: 'not_ready',
      ready: false,
      draining: false,
      checks: { backend: 'down: kafka-1.internal:9092 refused' },
    });
    expect((await (await get('/readyz', KEY)).json()) as object).toEqual({ status: 'not_ready' });
    fake.backendUp.value = true;
    const metrics = await (await get('/metrics', null)).text();
    expect(metrics).toMatch(
      /flywheel_http_requests_total\{service="fake",method="POST",route="\/v1\/echo",status="400"\} \d+/,
    );
    expect(metrics).toContain('process_cpu_user_seconds_total');
    const docs = (await (await get('/docs', null)).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(docs.openapi).toBe('3.1.0');
    expect(docs.paths['/v1/echo']).toHaveProperty('post.requestBody');
  });
});

describe('/readyz under a flood', () => {
  it('runs the backend checks once per cache period, however many callers ask', async () => {
    const { service, checks } = await startFake(60_000);
    try {
      const answers = await Promise.all(Array.from({ length: 100 }, () => fetch(`${service.url}/readyz`)));
      expect(answers.map((a) => a.status)).toEqual(Array(100).fill(200));
      expect(checks.count).toBe(1);
    } finally {
      await service.close();
    }
  });
});

describe('the service host at shutdown', () => {
  it('drains, drops unused connections at once, lets a request in flight finish, then closes what the service owns', async () => {
    const { service, log } = await startFake();
    const slow = fetch(`${service.url}/v1/slow`, { headers: { authorization: `Bearer ${KEY}` } });
    const { port } = new URL(service.url);
    const idle = connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => idle.once('connect', resolve));
    const idleClosed = new Promise((resolve) => idle.once('close', resolve));
    while (service.latch.entered === 0) await new Promise((resolve) => setTimeout(resolve, 10));

    const closed = service.close({ graceMs: 60_000 });
    await idleClosed;
    expect(service.readiness.draining).toBe(true);
    expect(log).toEqual(['drained']);
    service.latch.open();
    const res = await slow;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ done: true });
    await closed;
    expect(log).toEqual(['drained', 'stopped', 'owned closed']);
  });

  it('cuts a request that outlives the grace period', async () => {
    const { service, log } = await startFake();
    const slow = fetch(`${service.url}/v1/slow`, { headers: { authorization: `Bearer ${KEY}` } });
    while (service.latch.entered === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    await service.close({ graceMs: 50 });
    await expect(slow).rejects.toThrow();
    expect(log).toEqual(['drained', 'stopped', 'owned closed']);
  });

  it('closes what the service opened when boot fails, and rethrows', async () => {
    const first = await startFake();
    const closed: string[] = [];
    const { port } = new URL(first.service.url);
    const boot = hostService({ service: 'clash', port: Number(port), host: '127.0.0.1' }, ({ own }) => {
      own({ close: async () => void closed.push('owned') });
      return { controllers: [], openapi: {}, onDrain: async () => void closed.push('drained') };
    });
    await expect(boot).rejects.toThrow(/EADDRINUSE/);
    expect(closed).toEqual(['drained', 'owned']);
    first.service.latch.open();
    await first.service.close();
  });
});

describe('normalizePath', () => {
  it.each([
    ['/v1/chat/completions', '/v1/chat/completions'],
    ['/%76%31/chat/completions', '/v1/chat/completions'],
    ['http://example.test:8080/v1/chat?x=1', '/v1/chat'],
    ['//v1///chat', '/v1/chat'],
    ['/v1/chat#frag', '/v1/chat'],
  ])('%s → %s', (target, path) => expect(normalizePath(target)).toBe(path));

  it('is null for a target that is not a decodable path', () => {
    expect(normalizePath('/%E0%A4%A')).toBeNull();
    expect(normalizePath('*')).toBeNull();
  });
});
