import { Body, Controller, Get, Module, Post } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Registry } from 'prom-client';
import { z } from 'zod';
import { bearerToken, matchesSecret, SecretSet } from './auth';
import { createHttpApp } from './create-http-app';
import { DomainError } from './domain-error';
import { HttpKitModule } from './http-kit.module';
import { buildOpenApi } from './openapi';
import { Readiness } from './readiness';
import { ZodBody } from './zod-body.pipe';

const Echo = z.strictObject({ name: z.string().min(1), n: z.number().int() });

@Controller()
class TestController {
  constructor(readonly readiness: Readiness) {}
  @Post('echo')
  echo(@Body(new ZodBody(Echo)) body: z.infer<typeof Echo>) {
    return body;
  }
  @Get('boom')
  boom() {
    throw new Error('secret internals: password=hunter2');
  }
  @Get('limited')
  limited() {
    throw new DomainError('rate_limited', 'slow down', undefined, { 'retry-after': '3' });
  }
}

describe('HTTP kit', () => {
  let app: NestFastifyApplication;
  let url: string;
  let backendUp = true;

  beforeAll(async () => {
    const registry = new Registry();
    @Module({
      imports: [
        HttpKitModule.forRoot({
          service: 'test',
          registry,
          openapi: buildOpenApi({ title: 'test', version: '1' }, [
            {
              method: 'post',
              path: '/echo',
              summary: 'echo',
              request: Echo,
              responses: { 200: { description: 'ok', schema: Echo } },
            },
          ]),
        }),
      ],
      controllers: [TestController],
    })
    class TestModule {}
    app = await createHttpApp(TestModule, { service: 'test', registry, bodyLimit: 1024 });
    app.get(Readiness).add({
      name: 'backend',
      check: async () => void (backendUp || (await Promise.reject(new Error('down')))),
    });
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
  });
  afterAll(() => app.close());

  const post = (
    path: string,
    body: string,
    headers: Record<string, string> = { 'content-type': 'application/json' },
  ) => fetch(`${url}${path}`, { method: 'POST', body, headers });

  it('validates bodies with zod and names the field path in a 400', async () => {
    const ok = await post('/echo', JSON.stringify({ name: 'a', n: 1 }));
    expect(ok.status).toBe(201);
    const bad = await post('/echo', JSON.stringify({ name: '', n: 1.5, extra: true }));
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as {
      error: { type: string; message: string; details: { issues: { path: string }[] } };
    };
    expect(body.error.type).toBe('invalid_request');
    expect(body.error.details.issues.map((i) => i.path).sort()).toEqual(['(root)', 'n', 'name']);
  });

  it('answers malformed JSON with 400, a too-large body with 413, an unknown path with 404', async () => {
    const malformed = await post('/echo', '{"name": ');
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { type: string } }).error.type).toBe('invalid_json');
    const big = await post('/echo', JSON.stringify({ name: 'x'.repeat(2000), n: 1 }));
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { type: string } }).error.type).toBe('payload_too_large');
    const missing = await fetch(`${url}/nope`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { type: string } }).error.type).toBe('not_found');
  });

  it('hides internals of a 500 behind an error_id', async () => {
    const res = await fetch(`${url}/boom`);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain('hunter2');
    expect(JSON.parse(text)).toEqual({
      error: { type: 'internal_error', message: 'internal error', error_id: expect.any(String) },
    });
  });

  it('maps domain codes to statuses and passes their headers', async () => {
    const res = await fetch(`${url}/limited`);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3');
  });

  it('serves healthz, readyz (503 when a backend is down or draining), metrics and docs', async () => {
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    backendUp = false;
    const down = await fetch(`${url}/readyz`);
    expect(down.status).toBe(503);
    expect(((await down.json()) as { checks: Record<string, string> }).checks.backend).toBe('down');
    backendUp = true;
    app.get(Readiness).startDraining();
    expect((await fetch(`${url}/readyz`)).status).toBe(503);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(
      /flywheel_http_requests_total\{service="test",method="POST",route="\/echo",status="400"\} \d+/,
    );
    const docs = (await (await fetch(`${url}/docs`)).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(docs.openapi).toBe('3.1.0');
    expect(docs.paths['/echo']).toHaveProperty('post.requestBody');
  });
});

describe('matchesSecret', () => {
  it('accepts only an exact match', () => {
    expect(matchesSecret('k2', ['k1', 'k2'])).toBe(true);
    expect(matchesSecret('k', ['k1', 'k2'])).toBe(false);
    expect(matchesSecret('', ['k1'])).toBe(false);
    expect(matchesSecret(undefined, ['k1'])).toBe(false);
    expect(matchesSecret('k1', [])).toBe(false);
  });
  it('labels matches, the first equal secret winning', () => {
    const set = new SecretSet([
      { secret: 'same', label: 'admin' },
      { secret: 'same', label: 'client' },
      { secret: 'other', label: 'client' },
    ]);
    expect(set.match('same')).toBe('admin');
    expect(set.match('other')).toBe('client');
    expect(set.match('nope')).toBeNull();
    expect(set.match(undefined)).toBeNull();
  });
  it('reads bearer tokens', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
