import { verifyFeedbackToken, subjectHash } from '@flywheel/platform';
import { expectEventually } from '@flywheel/platform/testing';
import { type ErrorJson, post, SECRET, gatewaySuite } from './gateway-test-kit';

/**
 * POST /v1/chat/completions without streaming, through the real `openai` SDK and raw fetch,
 * with every interaction event read back from real Kafka.
 */

const t = gatewaySuite();

const ask = [{ role: 'user' as const, content: 'How was the movie?' }];

describe('routed through a flag', () => {
  it('answers in the OpenAI format with the flywheel headers and body, a feedback token, and an event', async () => {
    const { data, response } = await t.openai.chat.completions
      .create({ model: 'route:chat', messages: ask, user: 'user-1' })
      .withResponse();
    const variant = response.headers.get('x-flywheel-variant');
    const model = variant === 'candidate' ? 'claude-ok' : 'ok';
    expect(data.object).toBe('chat.completion');
    expect(data.model).toBe(model);
    expect(data.choices[0]?.message.content).toMatch(
      /^This is a simulated answer from sim-ok to "How was the movie\?"/,
    );
    expect(data.choices[0]?.finish_reason).toBe('stop');
    expect(data.usage?.total_tokens).toBeGreaterThan(0);

    const flywheel = (data as unknown as { flywheel: Record<string, unknown> }).flywheel;
    const id = response.headers.get('x-flywheel-interaction-id') as string;
    const token = response.headers.get('x-flywheel-feedback-token') as string;
    expect(flywheel).toEqual({ interaction_id: id, feedback_token: token, route: 'chat', variant, model });
    expect(response.headers.get('x-flywheel-model')).toBe(model);

    const verified = verifyFeedbackToken(token, SECRET, Date.now());
    expect(verified).toEqual({
      ok: true,
      payload: {
        v: 1,
        interaction_id: id,
        route: 'chat',
        variant,
        sub: subjectHash('user-1', SECRET),
        exp: expect.any(Number),
      },
    });
    if (verified.ok) expect(verified.payload.exp * 1000 - Date.now()).toBeGreaterThan(3_500_000); // token_ttl_s 3600

    const event = await t.kafka.event(id);
    expect(event).toMatchObject({
      interaction_id: id,
      route: 'chat',
      flag_key: 'chat',
      variant,
      variant_reason: 'TARGETING_MATCH',
      subject_hash: subjectHash('user-1', SECRET),
      subject_generated: false,
      request: { messages: ask, stream: false },
      final_model: model,
      status: 'ok',
      output: data.choices[0]?.message.content,
      validation: { schema: false, valid: true, repaired: false, reasks: 0 },
    });
    expect(event.attempts).toEqual([expect.objectContaining({ model, status: 'ok', try: 1 })]);
    expect(event.usage.total_tokens).toBe(data.usage?.total_tokens);
    expect(event.cost_usd).toBeGreaterThan(0);
    expect(event.flag_error).toBeUndefined();
    expect(Date.parse(event.finished_at)).toBeGreaterThanOrEqual(Date.parse(event.started_at));
  });

  it('takes the targeting key from x-flywheel-user, and makes one up when there is none', async () => {
    const viaHeader = await post(
      t.chatUrl,
      { model: 'route:chat', messages: ask },
      { 'x-flywheel-user': 'header-user' },
    );
    expect(viaHeader.status).toBe(200);
    const headerEvent = await t.kafka.event(viaHeader.headers.get('x-flywheel-interaction-id') as string);
    expect(headerEvent.subject_hash).toBe(subjectHash('header-user', SECRET));
    expect(headerEvent.subject_generated).toBe(false);

    const anonymous = await post(t.chatUrl, { model: 'route:chat', messages: ask });
    const anonymousEvent = await t.kafka.event(anonymous.headers.get('x-flywheel-interaction-id') as string);
    expect(anonymousEvent.subject_generated).toBe(true);
    expect(anonymousEvent.subject_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('evaluates the flag with app, tenant and x-flywheel-ctx-* headers, and records app, tenant and trace id', async () => {
    const variantOf = async (headers: Record<string, string>) => {
      const res = await post(t.chatUrl, { model: 'route:targeted', messages: ask, user: 'u-ctx' }, headers);
      expect(res.status).toBe(200);
      return {
        variant: res.headers.get('x-flywheel-variant'),
        id: res.headers.get('x-flywheel-interaction-id') as string,
      };
    };
    expect((await variantOf({})).variant).toBe('control');
    expect((await variantOf({ 'x-flywheel-ctx-plan': 'free' })).variant).toBe('control');
    expect((await variantOf({ 'x-flywheel-ctx-plan': 'pro' })).variant).toBe('candidate');
    expect((await variantOf({ 'x-flywheel-app': 'mobile' })).variant).toBe('candidate');
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const tenant = await variantOf({
      'x-flywheel-tenant': 'acme',
      'x-flywheel-app': 'web',
      traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
    });
    expect(tenant.variant).toBe('candidate');
    expect(await t.kafka.event(tenant.id)).toMatchObject({
      app: 'web',
      tenant: 'acme',
      trace_id: traceId,
      variant: 'candidate',
      variant_reason: 'TARGETING_MATCH',
    });
  });

  it('falls back to the default variant when the flag cannot be used, and records why', async () => {
    for (const route of ['unflagged', 'rogue']) {
      const res = await post(t.chatUrl, { model: `route:${route}`, messages: ask, user: 'u-flag-error' });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-flywheel-variant')).toBe('control');
      const event = await t.kafka.event(res.headers.get('x-flywheel-interaction-id') as string);
      expect(event).toMatchObject({ variant: 'control', variant_reason: 'ERROR' });
      expect(event.flag_error).toMatch(route === 'unflagged' ? /FLAG_NOT_FOUND/ : /chose "ghost"/);
    }
  });

  it('forwards multi-part text content as parts (never joined into "Hello, world")', async () => {
    t.gw.sim.reset();
    const res = await post(t.chatUrl, {
      model: 'echo',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Hello, ' },
            { type: 'text', text: 'world' },
          ],
        },
      ],
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { choices: { message: { content: string } }[] };
    // the simulator's echo joins the parts it received with a newline
    expect(body.choices[0]?.message.content).toBe('Hello, \nworld');
    expect(t.gw.sim.received()[0]?.body).toMatchObject({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Hello, ' },
            { type: 'text', text: 'world' },
          ],
        },
      ],
    });
  });
});

describe('direct model calls', () => {
  it('calls a model id from the configuration as a one-model chain, with route null', async () => {
    const { data, response } = await t.openai.chat.completions
      .create({ model: 'claude-ok', messages: ask, max_tokens: 5 })
      .withResponse();
    expect(data.model).toBe('claude-ok');
    expect(data.choices[0]?.finish_reason).toBe('length'); // the client's max_tokens applies
    const flywheel = (data as unknown as { flywheel: { route: unknown; variant: string } }).flywheel;
    expect(flywheel).toMatchObject({ route: null, variant: 'direct', model: 'claude-ok' });
    const event = await t.kafka.event(response.headers.get('x-flywheel-interaction-id') as string);
    expect(event).toMatchObject({
      route: null,
      variant: 'direct',
      variant_reason: 'DIRECT',
      final_model: 'claude-ok',
    });
    expect(event.flag_key).toBeUndefined();
  });

  it('answers 404 for an unknown route or model', async () => {
    for (const model of ['route:nope', 'gpt-nope']) {
      const res = await post(t.chatUrl, { model, messages: ask });
      expect(res.status).toBe(404);
      const body = (await res.json()) as ErrorJson;
      expect(body.error.type).toBe(model.startsWith('route:') ? 'unknown_route' : 'unknown_model');
    }
    await expect(
      t.openai.chat.completions.create({ model: 'route:nope', messages: ask }),
    ).rejects.toMatchObject({
      status: 404,
    });
  });
});

describe('fallback', () => {
  it.each([
    ['fallback-500', 'down', 'ok', ['error', 'error', 'error', 'ok']],
    ['fallback-429', 'limited', 'ok', ['error', 'ok']],
    ['fallback-timeout', 'hung', 'claude-ok', ['timeout', 'ok']],
  ])(
    '%s: the answer comes from the next model, as the header and the event attempts show',
    async (route, first, next, statuses) => {
      const { response, data } = await t.openai.chat.completions
        .create({ model: `route:${route}`, messages: ask, user: 'u-fallback' })
        .withResponse();
      expect(response.headers.get('x-flywheel-model')).toBe(next);
      expect(data.model).toBe(next);
      const event = await t.kafka.event(response.headers.get('x-flywheel-interaction-id') as string);
      expect(event.status).toBe('ok');
      expect(event.final_model).toBe(next);
      expect(event.attempts.map((a) => a.status)).toEqual(statuses);
      expect(event.attempts.map((a) => a.model)).toEqual([...statuses.slice(0, -1).map(() => first), next]);
      if (route === 'fallback-500') expect(event.attempts[0]?.http_status).toBe(500);
      if (route === 'fallback-429')
        expect(event.attempts[0]).toMatchObject({ http_status: 429, error_class: 'rate_limited' });
      const metrics = await (await fetch(`${t.gw.url}/metrics`)).text();
      expect(metrics).toMatch(new RegExp(`flywheel_gateway_fallbacks_total\\{route="${route}"\\} [1-9]`));
    },
  );

  it('answers 502 upstream_unavailable with only an error_id when no model can answer, and records the failure', async () => {
    const res = await post(t.chatUrl, { model: 'down', messages: ask });
    expect(res.status).toBe(502);
    const body = (await res.json()) as ErrorJson;
    expect(body.error).toEqual({
      type: 'upstream_unavailable',
      code: 'upstream_unavailable',
      param: null,
      message: expect.any(String),
      error_id: expect.any(String),
    });
    expect(JSON.stringify(body)).not.toMatch(/attempts|sim-500|500 status/);
    const event = await t.kafka.event(res.headers.get('x-flywheel-interaction-id') as string);
    expect(event).toMatchObject({ status: 'error', final_model: null, output: null });
    expect(event.attempts).toHaveLength(3);
  });

  it('answers 400 upstream_rejected when every upstream refuses the request as invalid', async () => {
    const res = await post(t.chatUrl, { model: 'route:upstream-400', messages: ask });
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorJson).error.type).toBe('upstream_rejected');
    const event = await t.kafka.event(res.headers.get('x-flywheel-interaction-id') as string);
    expect(event.attempts).toEqual([
      expect.objectContaining({ http_status: 400, error_class: 'bad_request' }),
    ]);
  });
});

describe('client disconnect', () => {
  it('aborts the upstream call and records a cancelled interaction', async () => {
    const user = `u-leaving-${Date.now()}`;
    const controller = new AbortController();
    const request = post(
      t.chatUrl,
      { model: 'route:slow', messages: ask, user },
      {},
      controller.signal,
    ).catch((err: unknown) => err);
    await expectEventually(() => expect(t.gw.sim.stats().pendingTimers).toBe(1), { intervalMs: 10 });
    controller.abort();
    await request;
    // the simulator saw its client go: the slow answer's timer was cancelled
    await expectEventually(() => expect(t.gw.sim.stats().pendingTimers).toBe(0), { intervalMs: 20 });
    const event = await t.kafka.where((e) => e.subject_hash === subjectHash(user, SECRET));
    expect(event).toMatchObject({ route: 'slow', status: 'error', final_model: null });
    expect(event.attempts).toEqual([expect.objectContaining({ model: 'slow', error_class: 'cancelled' })]);
  });
});

describe('metrics', () => {
  it('exposes the gateway metrics', async () => {
    expect((await post(t.chatUrl, { model: 'route:chat', messages: ask })).status).toBe(200);
    expect((await post(t.chatUrl, { model: 'route:unflagged', messages: ask })).status).toBe(200);
    expect((await post(t.chatUrl, { model: 'down', messages: ask })).status).toBe(502);
    const text = await (await fetch(`${t.gw.url}/metrics`)).text();
    expect(text).toMatch(
      /flywheel_gateway_attempts_total\{provider="sim-openai",model="ok",outcome="ok"\} [1-9]/,
    );
    expect(text).toMatch(
      /flywheel_gateway_attempts_total\{provider="sim-openai",model="down",outcome="error"\} [1-9]/,
    );
    expect(text).toMatch(
      /flywheel_gateway_rollout_assignments_total\{route="chat",variant="(control|candidate)",reason="TARGETING_MATCH"\} [1-9]/,
    );
    expect(text).toMatch(
      /flywheel_gateway_rollout_assignments_total\{route="unflagged",variant="control",reason="ERROR"\} [1-9]/,
    );
    expect(text).toMatch(/flywheel_gateway_breaker_state\{model="down"\} 0/);
    expect(text).toMatch(
      /flywheel_gateway_request_duration_seconds_count\{route="chat",stream="false"\} [1-9]/,
    );
    expect(text).toMatch(/flywheel_gateway_event_publish_failures_total 0/);
  });
});
