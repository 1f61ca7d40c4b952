import { connect, type Socket } from 'node:net';
import { Controller, Get, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { buildOpenApi } from '../src/http/openapi';
import {
  type HttpLimits,
  hostService,
  type HostedService,
  provideValues,
  type TrustedProxies,
} from '../src/host';
import { expectEventually } from '../src/testing/expect-eventually';

/**
 * The host's HTTP limits on a real server: slow-body clients are cut, overload over the in-flight
 * cap or on a saturated event loop is shed at once with 503 + Retry-After while ops endpoints
 * keep answering, and a response that streams longer than the request timeout is not cut.
 */

/** Holds requests open until released; counts what reached a handler. */
class Gate {
  entered = 0;
  handled = 0;
  private release: () => void = () => undefined;
  private opened = new Promise<void>((resolve) => (this.release = resolve));
  async wait(): Promise<void> {
    this.entered += 1;
    await this.opened;
  }
  open(): void {
    this.release();
  }
}

@Controller()
class LimitsController {
  constructor(@Inject(Gate) private readonly gate: Gate) {}

  @Get('v1/held')
  async held() {
    await this.gate.wait();
    return { done: true };
  }

  @Get('v1/ip')
  ip(@Req() req: FastifyRequest) {
    return { ip: req.ip };
  }

  @Post('v1/upload')
  upload(@Req() req: FastifyRequest) {
    this.gate.handled += 1;
    return { bytes: JSON.stringify(req.body).length };
  }

  /** Server-sent events: one every `every` ms, `count` of them, then the end. */
  @Get('v1/stream')
  stream(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const { count = '10', every = '100' } = req.query as Record<string, string>;
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
    let sent = 0;
    const timer = setInterval(() => {
      sent += 1;
      reply.raw.write(`data: ${sent}\n\n`);
      if (sent === Number(count)) {
        clearInterval(timer);
        reply.raw.end('data: [DONE]\n\n');
      }
    }, Number(every));
    reply.raw.once('close', () => clearInterval(timer));
  }
}

async function startService(
  limits: Partial<HttpLimits>,
  trustedProxies?: TrustedProxies,
): Promise<HostedService & { gate: Gate }> {
  return hostService({ service: 'limits', port: 0, host: '127.0.0.1', limits, trustedProxies }, () => {
    const gate = new Gate();
    return {
      controllers: [LimitsController],
      providers: provideValues(gate),
      openapi: buildOpenApi({ title: 'limits', version: '1' }, []),
      expose: { gate },
    };
  });
}

function open(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Everything the server sends on `socket` until it closes the connection. */
function untilClosed(socket: Socket): Promise<string> {
  let text = '';
  socket.on('data', (chunk) => (text += chunk.toString('utf8')));
  return new Promise((resolve) => socket.once('close', () => resolve(text)));
}

/** Keeps the event loop busy (this process runs the service too). */
function busyFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

interface ErrorJson {
  error: { code: string; message: string };
}

describe('the host under slow clients and long responses (request timeout 1 s)', () => {
  let service: HostedService & { gate: Gate };
  beforeAll(async () => {
    service = await startService({ requestTimeoutMs: 1_000, maxHeaders: 30, maxHeaderBytes: 4_096 });
  });
  afterAll(() => service.close());

  it('cuts a connection whose body trickles in (headers sent, 1 MiB announced) and never calls the handler', async () => {
    const socket = await open(service.url);
    const closed = untilClosed(socket);
    socket.write(
      'POST /v1/upload HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1048576\r\n\r\n{"a":"',
    );
    // one byte every 100 ms: the whole body would take 29 hours
    const trickle = setInterval(() => socket.writable && socket.write('x'), 100);
    const answer = await closed.finally(() => clearInterval(trickle));
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(service.gate.handled).toBe(0);
  });

  it('cuts a connection that never finishes its headers', async () => {
    const socket = await open(service.url);
    const closed = untilClosed(socket);
    socket.write('GET /v1/held HTTP/1.1\r\nhost: x\r\n');
    // a header line that never ends, one byte every 100 ms
    const trickle = setInterval(() => socket.writable && socket.write('x'), 100);
    await closed.finally(() => clearInterval(trickle));
    expect(service.gate.entered).toBe(0);
  });

  it('still takes a 1 MiB body sent at once', async () => {
    const body = JSON.stringify({ text: 'y'.repeat(1_000_000) });
    const res = await fetch(`${service.url}/v1/upload`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ bytes: body.length });
  });

  it('does not cut a server-sent event stream that lasts longer than the request timeout', async () => {
    const res = await fetch(`${service.url}/v1/stream?count=25&every=100`);
    expect(res.status).toBe(200);
    const text = await res.text(); // 2.5 s of events, 2.5× the request timeout
    const events = text.split('\n\n').filter(Boolean);
    expect(events).toHaveLength(26);
    expect(events.at(-1)).toBe('data: [DONE]');
  });

  it('refuses too many headers and too large headers with 431', async () => {
    const handled = service.gate.handled;
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`x-h${i}`, 'v']));
    const tooMany = await fetch(`${service.url}/v1/upload`, { method: 'POST', headers: many, body: '{}' });
    expect(tooMany.status).toBe(431);
    expect(((await tooMany.json()) as ErrorJson).error.code).toBe('headers_too_large');
    const tooLarge = await fetch(`${service.url}/healthz`, { headers: { 'x-big': 'z'.repeat(8_000) } });
    expect(tooLarge.status).toBe(431);
    expect(service.gate.handled).toBe(handled);
  });
});

describe('the host over its in-flight cap (4)', () => {
  let service: HostedService & { gate: Gate };
  beforeAll(async () => {
    // the loop guard off: this suite is about the cap alone
    service = await startService({ maxInFlight: 4, maxEventLoopDelayMs: 0, maxEventLoopUtilization: 0 });
  });
  afterAll(() => service.close());

  it('sheds a burst over the cap with 503 overloaded + Retry-After, answers ops endpoints, then admits again', async () => {
    const held = Array.from({ length: 4 }, () => fetch(`${service.url}/v1/held`));
    await expectEventually(() => expect(service.gate.entered).toBe(4), { timeoutMs: 30_000 });

    const burst = await Promise.all(Array.from({ length: 40 }, () => fetch(`${service.url}/v1/held`)));
    for (const res of burst) {
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(((await res.json()) as ErrorJson).error.code).toBe('overloaded');
    }
    expect(service.gate.entered).toBe(4);

    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${service.url}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toContain('flywheel_http_shed_total{service="limits",reason="in_flight"} 40');
    expect(metrics).toContain('flywheel_http_in_flight{service="limits"} 4');

    service.gate.open();
    for (const res of await Promise.all(held)) expect(await res.json()).toEqual({ done: true });
    await expectEventually(async () => expect((await fetch(`${service.url}/v1/held`)).status).toBe(200), {
      timeoutMs: 30_000,
    });
    const after = await (await fetch(`${service.url}/metrics`)).text();
    expect(after).toContain('flywheel_http_in_flight{service="limits"} 0');
  });
});

describe('the host on a saturated event loop', () => {
  let service: HostedService & { gate: Gate };
  beforeAll(async () => {
    service = await startService({
      maxInFlight: 0,
      maxEventLoopDelayMs: 0,
      maxEventLoopUtilization: 0.5,
      saturationWindowMs: 500,
      loopGuardMinInFlight: 3,
    });
  });
  afterAll(() => service.close());

  it('sheds a request that arrives while the loop has been busy for the whole window, with Retry-After', async () => {
    // below the in-flight floor a busy loop sheds nothing
    const alone = await open(service.url);
    const aloneAnswer = untilClosed(alone);
    alone.write('GET /v1/held HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
    await expectEventually(() => expect(service.gate.entered).toBe(1), { timeoutMs: 30_000 });
    busyFor(2_000);
    const second = await fetch(`${service.url}/v1/ip`);
    expect(second.status).toBe(200);

    // three held in flight: the floor is reached
    const held = [fetch(`${service.url}/v1/held`), fetch(`${service.url}/v1/held`)];
    await expectEventually(() => expect(service.gate.entered).toBe(3), { timeoutMs: 30_000 });
    const socket = await open(service.url);
    const answer = untilClosed(socket);
    socket.write('GET /v1/held HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
    // the request waits in the socket while the loop is blocked for 2 s (4× the window)
    busyFor(2_000);
    const text = await answer;
    expect(text).toMatch(/^HTTP\/1\.1 503 /);
    expect(text).toMatch(/\r\nretry-after: 2\r\n/i);
    expect(text).toContain('"code":"overloaded"');
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toContain('flywheel_http_shed_total{service="limits",reason="event_loop_utilization"} 1');
    service.gate.open();
    for (const res of await Promise.all(held)) expect(res.status).toBe(200);
    expect(await aloneAnswer).toMatch(/^HTTP\/1\.1 200 /);
  });
});

describe('the client address behind proxies (TRUSTED_PROXIES)', () => {
  const ipOf = async (service: HostedService, forwardedFor?: string) => {
    const headers: Record<string, string> = forwardedFor ? { 'x-forwarded-for': forwardedFor } : {};
    return ((await (await fetch(`${service.url}/v1/ip`, { headers })).json()) as { ip: string }).ip;
  };

  it.each<[string, TrustedProxies, string]>([
    ['nobody trusted: the socket address, X-Forwarded-For ignored', undefined, '127.0.0.1'],
    ['a peer outside the trusted CIDRs: its X-Forwarded-For ignored', ['10.0.0.0/8'], '127.0.0.1'],
    ['a trusted peer: the address it appended, not what the client wrote', ['127.0.0.1/32'], '203.0.113.9'],
    ['one trusted hop', 1, '203.0.113.9'],
    [
      'two trusted proxies: the first untrusted address from the right',
      ['loopback', '203.0.113.0/24'],
      '198.51.100.7',
    ],
  ])('%s', async (_, trusted, expected) => {
    const service = await startService({}, trusted);
    try {
      expect(await ipOf(service, '198.51.100.7, 203.0.113.9')).toBe(expected);
      expect(await ipOf(service)).toBe('127.0.0.1');
    } finally {
      await service.close();
    }
  });
});
