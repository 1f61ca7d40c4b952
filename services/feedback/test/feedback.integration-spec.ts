import { connect } from 'node:net';
import { randomUUID } from 'node:crypto';
import { expectEventually } from '@flywheel/platform/testing';
import {
  FeedbackTopic,
  type RunningFeedback,
  REASONS,
  requireInfra,
  SECRET,
  startFeedback,
  voter,
} from './feedback-test-kit';

/**
 * The feedback service over HTTP, on the real Kafka and Redis of the integration globalSetup:
 * what a widget (or any client) sees, and what lands on `flywheel.feedback.v1`.
 */
const ALLOWED = 'https://app.example.test';
const { KAFKA_BROKERS } = requireInfra();

let feedback: RunningFeedback;
let topic: FeedbackTopic;

beforeAll(async () => {
  feedback = await startFeedback({ allowedOrigins: [ALLOWED] });
  topic = await FeedbackTopic.open(KAFKA_BROKERS);
}, 60_000);
afterAll(async () => {
  await topic?.close();
  await feedback?.close();
});

/** A random IPv6 documentation address: each test gets client addresses nobody else uses. */
const randomIp = () => `2001:db8::${randomUUID().slice(0, 4)}:${randomUUID().slice(0, 4)}`;

const json = async (res: Response) =>
  (await res.json()) as Record<string, unknown> & {
    error?: { type: string; message: string; details?: { issues: { path: string }[] } };
  };

describe('POST /v1/feedback', () => {
  it('answers 202 once the vote is durable, and the event reaches Kafka as a CloudEvent', async () => {
    const v = voter();
    const res = await feedback.post({
      interaction_id: v.interactionId,
      token: v.token,
      rating: 'down',
      reasons: ['incorrect', 'wrong_format'],
      comment: 'The year is wrong.',
      correction: 'It was 1969.',
    });
    expect(res.status).toBe(202);
    const { feedback_id } = (await res.json()) as { feedback_id: string };
    const message = await topic.waitFor((m) => m.key === v.interactionId);
    expect(message.event).toEqual({
      feedback_id,
      interaction_id: v.interactionId,
      route: 'demo-chat',
      variant: 'candidate',
      subject_hash: v.subject,
      rating: 'down',
      reasons: ['incorrect', 'wrong_format'],
      comment: 'The year is wrong.',
      correction: 'It was 1969.',
      revision: 1,
      created_at: expect.any(String),
    });
    expect(message.headers).toMatchObject({
      ce_specversion: '1.0',
      ce_type: 'dev.flywheel.feedback.v1',
      ce_source: 'feedback',
      ce_id: `${feedback_id}:1`,
    });
  });

  it('answers an identical retry (a replayed request) with the same feedback_id and no second event', async () => {
    const v = voter();
    const body = { interaction_id: v.interactionId, token: v.token, rating: 'up' };
    const first = await feedback.post(body);
    const again = await feedback.post(body);
    expect([first.status, again.status]).toEqual([202, 202]);
    expect(await json(again)).toEqual(await json(first));
    const events = await topic.settled(feedback, v.interactionId, v.subject);
    expect(events.map((e) => [e.rating, e.revision])).toEqual([['up', 1]]);
  });

  it('turns a changed vote into revision 2 of the same feedback_id, and a change back into revision 3', async () => {
    const v = voter();
    const post = (rating: string, comment?: string) =>
      feedback.post({ interaction_id: v.interactionId, token: v.token, rating, ...(comment && { comment }) });
    const ids = [];
    for (const [rating, comment] of [['up'], ['down', 'actually, no'], ['up']] as const) {
      const res = await post(rating, comment);
      expect(res.status).toBe(202);
      ids.push((await json(res)).feedback_id);
    }
    expect(new Set(ids).size).toBe(1);
    await expectEventually(
      () =>
        expect(
          topic.events(v.interactionId, v.subject).map((e) => [e.rating, e.revision, e.comment]),
        ).toEqual([
          ['up', 1, undefined],
          ['down', 2, 'actually, no'],
          ['up', 3, undefined],
        ]),
      { timeoutMs: 30_000 },
    );
  });

  describe('refuses bad tokens, and nothing reaches Kafka', () => {
    const cases: [string, (v: ReturnType<typeof voter>) => Record<string, unknown>, number, string][] = [
      [
        'a forged token (payload edited, signature kept)',
        (v) => {
          const [payload, signature] = v.token.split('.') as [string, string];
          const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
          const forged = Buffer.from(JSON.stringify({ ...claims, variant: 'control' })).toString('base64url');
          return { interaction_id: v.interactionId, token: `${forged}.${signature}` };
        },
        401,
        'invalid_token',
      ],
      [
        'a token signed with another secret',
        (v) => ({
          interaction_id: v.interactionId,
          token: voter({ interactionId: v.interactionId, secret: `${SECRET}-other` }).token,
        }),
        401,
        'invalid_token',
      ],
      [
        'a malformed token',
        (v) => ({ interaction_id: v.interactionId, token: 'not-a-token' }),
        401,
        'invalid_token',
      ],
      [
        'an expired token',
        (v) => ({
          interaction_id: v.interactionId,
          token: voter({ interactionId: v.interactionId, expS: -1 }).token,
        }),
        401,
        'token_expired',
      ],
      [
        'a valid token replayed for another interaction',
        (v) => ({ interaction_id: v.interactionId, token: voter().token }),
        403,
        'interaction_mismatch',
      ],
    ];
    it.each(cases)('%s', async (_name, make, status, type) => {
      const v = voter();
      const res = await feedback.post({ rating: 'down', ...make(v) });
      expect(res.status).toBe(status);
      expect((await json(res)).error?.type).toBe(type);
      expect(await topic.settled(feedback, v.interactionId, v.subject)).toEqual([]);
    });
  });

  describe('answers bad bodies with 400 and the field path, never 5xx', () => {
    const v = voter();
    const good = { interaction_id: v.interactionId, token: v.token, rating: 'down' };
    it.each([
      ['rating missing', { ...good, rating: undefined }, ['rating']],
      ['rating not up/down', { ...good, rating: 'meh' }, ['rating']],
      ['an unknown field', { ...good, extra: 1 }, ['(root)']],
      ['an unknown reason', { ...good, reasons: ['incorrect', 'boring'] }, ['reasons.1']],
      ['a comment over 2000 characters', { ...good, comment: 'x'.repeat(2001) }, ['comment']],
      ['a correction over 8000 characters', { ...good, correction: 'x'.repeat(8001) }, ['correction']],
      ['interaction_id of the wrong type', { ...good, interaction_id: 42 }, ['interaction_id']],
      ['an array', [good], ['(root)']],
    ])('%s', async (_name, body, paths) => {
      const res = await feedback.post(body);
      expect(res.status).toBe(400);
      const error = (await json(res)).error!;
      expect(error.type).toBe('invalid_request');
      expect(error.details?.issues.map((i) => i.path)).toEqual(paths);
    });

    it.each([
      ['malformed JSON', '{"interaction_id": ', 'application/json', 400, 'invalid_json'],
      ['an empty body', '', 'application/json', 400, 'invalid_request'],
      ['JSON null', 'null', 'application/json', 400, 'invalid_request'],
      [
        'a form post (parsed, then validated)',
        'rating=down',
        'application/x-www-form-urlencoded',
        400,
        'invalid_request',
      ],
      ['plain text', 'hello', 'text/plain', 400, 'invalid_request'],
      ['XML', '<vote/>', 'application/xml', 415, 'unsupported_media_type'],
      [
        'a body over the limit',
        JSON.stringify({ ...good, comment: 'x'.repeat(200_000) }),
        'application/json',
        413,
        'payload_too_large',
      ],
    ])('%s', async (_name, body, contentType, status, type) => {
      const res = await feedback.post(body, { 'content-type': contentType });
      expect(res.status).toBe(status);
      expect((await json(res)).error?.type).toBe(type);
    });
  });
});

describe('CORS (feedback.allowed_origins)', () => {
  const preflight = (origin: string) =>
    fetch(`${feedback.url}/v1/feedback`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });

  it('answers a preflight from an allowed origin', async () => {
    const res = await preflight(ALLOWED);
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')).toContain('content-type');
    expect(res.headers.get('vary')).toContain('Origin');
  });

  it('gives a preflight from another origin no allow headers', async () => {
    const res = await preflight('https://evil.example.test');
    expect(res.status).toBe(403);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('access-control-allow-methods')).toBeNull();
  });

  it('refuses a vote from another origin with 403 origin_not_allowed, and publishes nothing', async () => {
    const v = voter();
    const res = await feedback.post(
      { interaction_id: v.interactionId, token: v.token, rating: 'down' },
      { origin: 'https://app.example.test.evil.test' },
    );
    expect(res.status).toBe(403);
    expect((await json(res)).error?.type).toBe('origin_not_allowed');
    expect(await topic.settled(feedback, v.interactionId, v.subject)).toEqual([]);
  });

  it('refuses another origin on a percent-encoded or absolute-form path too, before reading the body', async () => {
    const v = voter();
    const vote = JSON.stringify({ interaction_id: v.interactionId, token: v.token, rating: 'down' });
    const { host } = new URL(feedback.url);
    for (const target of ['/%76%31/feedback', '/v1/%66eedback', `http://${host}/v1/feedback`]) {
      const status = await new Promise<number>((resolve, reject) => {
        const socket = connect(Number(new URL(feedback.url).port), '127.0.0.1', () =>
          // the whole vote, then a body that never ends: the refusal cannot wait for it
          socket.write(
            `POST ${target} HTTP/1.1\r\nhost: ${host}\r\norigin: https://evil.example.test\r\n` +
              `content-type: application/json\r\ncontent-length: ${vote.length + 1000}\r\n\r\n${vote}`,
          ),
        );
        socket.once('data', (chunk) => {
          socket.destroy();
          resolve(Number(chunk.toString('utf8').slice(9, 12)));
        });
        socket.on('error', reject);
      });
      expect([target, status]).toEqual([target, 403]);
    }
    expect(await topic.settled(feedback, v.interactionId, v.subject)).toEqual([]);
  });

  it('accepts votes from the allowed origin (readable cross-origin), from its own origin and without Origin', async () => {
    for (const origin of [ALLOWED, new URL(feedback.url).origin, undefined]) {
      const v = voter();
      const res = await feedback.post(
        { interaction_id: v.interactionId, token: v.token, rating: 'up' },
        origin ? { origin } : {},
      );
      expect(res.status).toBe(202);
      if (origin === ALLOWED) {
        expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
        expect(res.headers.get('access-control-expose-headers')).toContain('Retry-After');
      }
    }
  });
});

describe('rate limits (Redis, shared by every instance)', () => {
  let a: RunningFeedback;
  let b: RunningFeedback;
  beforeAll(async () => {
    const env = {
      FEEDBACK_RATE_IP_POINTS: '4',
      FEEDBACK_RATE_SUBJECT_POINTS: '3',
      FEEDBACK_RATE_IP_WINDOW_S: '60',
      FEEDBACK_RATE_SUBJECT_WINDOW_S: '60',
      // the test talks to the service over loopback: that peer is the trusted proxy
      TRUSTED_PROXIES: 'loopback',
    };
    [a, b] = await Promise.all([startFeedback({ env }), startFeedback({ env })]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('limits one subject across two instances: 429 with Retry-After, other subjects unaffected', async () => {
    const user = `busy-${randomUUID()}`;
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      const v = voter({ user });
      const res = await (i % 2 ? b : a).post(
        { interaction_id: v.interactionId, token: v.token, rating: 'up' },
        { 'x-forwarded-for': randomIp() },
      );
      statuses.push(res.status);
      if (res.status === 429) {
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(Number(res.headers.get('retry-after'))).toBeLessThanOrEqual(60);
        expect((await json(res)).error?.type).toBe('rate_limited');
      }
    }
    expect(statuses).toEqual([202, 202, 202, 429]);
    const other = voter();
    expect(
      (
        await a.post(
          { interaction_id: other.interactionId, token: other.token, rating: 'up' },
          { 'x-forwarded-for': randomIp() },
        )
      ).status,
    ).toBe(202);
  });

  it('limits one client address across two instances, taking it from X-Forwarded-For behind a trusted proxy', async () => {
    const ip = randomIp();
    const statuses = [];
    for (let i = 0; i < 5; i++) {
      const v = voter();
      const res = await (i % 2 ? b : a).post(
        { interaction_id: v.interactionId, token: v.token, rating: 'down' },
        { 'x-forwarded-for': `10.9.9.9, ${ip}` },
      );
      statuses.push(res.status);
    }
    expect(statuses).toEqual([202, 202, 202, 202, 429]);
    // the address the client wrote in front is not trusted: another real address is not limited
    const v = voter();
    expect(
      (
        await b.post(
          { interaction_id: v.interactionId, token: v.token, rating: 'up' },
          { 'x-forwarded-for': `${ip}, ${randomIp()}` },
        )
      ).status,
    ).toBe(202);
  });
});

describe('one vote per subject per interaction across instances (Redis)', () => {
  let a: RunningFeedback;
  let b: RunningFeedback;
  beforeAll(async () => {
    [a, b] = await Promise.all([startFeedback(), startFeedback()]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('publishes concurrent identical votes on two instances exactly once', async () => {
    const v = voter();
    const body = { interaction_id: v.interactionId, token: v.token, rating: 'down', reasons: ['unsafe'] };
    const responses = await Promise.all(Array.from({ length: 16 }, (_, i) => (i % 2 ? a : b).post(body)));
    expect(responses.map((r) => r.status)).toEqual(Array(16).fill(202));
    const ids = new Set(await Promise.all(responses.map(async (r) => (await json(r)).feedback_id)));
    expect(ids.size).toBe(1);
    await topic.settled(a, v.interactionId, v.subject);
    const events = await topic.settled(b, v.interactionId, v.subject);
    expect(events.map((e) => e.revision)).toEqual([1]);
  });

  it('gives concurrent changed votes on two instances distinct, gapless revisions', async () => {
    const v = voter();
    const responses = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        (i % 2 ? a : b).post({
          interaction_id: v.interactionId,
          token: v.token,
          rating: 'down',
          comment: `take ${i}`,
        }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(12).fill(202));
    await topic.settled(a, v.interactionId, v.subject);
    const events = await topic.settled(b, v.interactionId, v.subject);
    expect(events.map((e) => e.revision).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 12 }, (_, i) => i + 1),
    );
    expect(new Set(events.map((e) => e.comment)).size).toBe(12);
  });
});

describe('ops endpoints', () => {
  it('serves /healthz, /readyz with bus and kv checks, /metrics with vote and reject counters, /docs', async () => {
    expect((await fetch(`${feedback.url}/healthz`)).status).toBe(200);
    // feedback has no admin token: /readyz says ready or not to everyone, and names no backend
    const ready = await fetch(`${feedback.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
    const metrics = await (await fetch(`${feedback.url}/metrics`)).text();
    expect(metrics).toMatch(
      /flywheel_feedback_votes_total\{route="demo-chat",variant="candidate",rating="down"\} [1-9]/,
    );
    expect(metrics).toMatch(/flywheel_feedback_rejects_total\{reason="invalid_token"\} [1-9]/);
    expect(metrics).toMatch(/flywheel_feedback_rejects_total\{reason="origin_not_allowed"\} [1-9]/);
    const docs = (await (await fetch(`${feedback.url}/docs`)).json()) as { paths: Record<string, unknown> };
    expect(docs.paths['/v1/feedback']).toHaveProperty('post.requestBody');
    expect(Object.keys(docs.paths)).toEqual(expect.arrayContaining(['/widget.js', '/demo']));
  });
});

describe('GET /widget.js', () => {
  it('refuses to boot without a built bundle, saying how to build it', async () => {
    await expect(
      startFeedback({ env: { FEEDBACK_WIDGET_FILE: '/nonexistent/dist/widget.js' } }),
    ).rejects.toThrow(
      /\/nonexistent\/dist\/widget\.js does not exist: build it with `npm run build -w web-widget`/,
    );
  });

  it('serves the bundle as JavaScript with an ETag, caching and compression', async () => {
    const res = await fetch(`${feedback.url}/widget.js`, { headers: { 'accept-encoding': 'gzip' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/javascript; charset=utf-8');
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(res.headers.get('cache-control')).toBe('public, max-age=3600, stale-while-revalidate=86400');
    const etag = res.headers.get('etag');
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(await res.text()).toContain('data-flywheel-feedback');

    const again = await fetch(`${feedback.url}/widget.js`, { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);

    const versioned = await fetch(`${feedback.url}/widget.js?v=${feedback.widgetVersion}`);
    expect(versioned.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const stale = await fetch(`${feedback.url}/widget.js?v=not-this-one`);
    expect(stale.headers.get('cache-control')).toBe('public, max-age=3600, stale-while-revalidate=86400');
  });
});

describe('GET /demo', () => {
  it('serves the page under a strict CSP, and its canned interactions carry tokens the service accepts', async () => {
    const page = await fetch(`${feedback.url}/demo`);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("require-trusted-types-for 'script'");
    const html = await page.text();
    expect(html).toContain(`/widget.js?v=${feedback.widgetVersion}`);
    expect(html).toContain(`data-reasons="${REASONS.join(',')}"`);

    const made = await fetch(`${feedback.url}/demo/interactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'What is Flywheel?', visitor: 'v-1' }),
    });
    expect(made.status).toBe(201);
    const interaction = (await made.json()) as {
      interaction_id: string;
      feedback_token: string;
      variant: string;
    };
    expect(interaction.variant).toBe('canned-demo');
    const vote = await feedback.post({
      interaction_id: interaction.interaction_id,
      token: interaction.feedback_token,
      rating: 'up',
    });
    expect(vote.status).toBe(202);
    const message = await topic.waitFor((m) => m.key === interaction.interaction_id);
    expect(message.event).toMatchObject({ route: 'demo-chat', variant: 'canned-demo', rating: 'up' });
  });
});
