import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvokeResponse } from '@flywheel/contracts';
import Ajv2020 from 'ajv/dist/2020';
import { type ErrorJson, post, startGateway, type TestGateway, watchInteractions } from './gateway-test-kit';

/** POST /v1/routes/{route}/invoke: templates, structured output, repair and re-ask, over HTTP. */

const isTicket = new Ajv2020().compile(
  JSON.parse(readFileSync(join(__dirname, 'fixtures/schemas/ticket.json'), 'utf8')) as object,
);

let gw: TestGateway;
let kafka: Awaited<ReturnType<typeof watchInteractions>>;
const invoke = (route: string, body: unknown, headers?: Record<string, string>) =>
  post(`${gw.url}/v1/routes/${route}/invoke`, body, headers);

beforeAll(async () => {
  [gw, kafka] = await Promise.all([startGateway(), watchInteractions()]);
});

afterAll(async () => {
  await kafka?.close();
  await gw?.close();
});

const ticket = { ticket: 'I was charged twice this month.', customer: 'Ada' };

it('fills the prompt template and returns the validated JSON as output', async () => {
  const res = await invoke('triage', { input: ticket, user: 'u-inv' });
  expect(res.status).toBe(200);
  const body = (await res.json()) as InvokeResponse;
  expect(InvokeResponse.safeParse(body).error).toBeUndefined();
  expect(isTicket(body.output)).toBe(true);
  expect(body).toMatchObject({
    route: 'triage',
    variant: 'control',
    model: 'ok',
    validation: { schema: true, valid: true, repaired: false, reasks: 0 },
  });
  expect(res.headers.get('x-flywheel-interaction-id')).toBe(body.interaction_id);
  expect(res.headers.get('x-flywheel-feedback-token')).toBe(body.feedback_token);
  expect(res.headers.get('x-flywheel-model')).toBe('ok');

  const event = await kafka.event(body.interaction_id);
  expect(event.request).toEqual({
    messages: [{ role: 'user', content: `Triage this ticket from Ada:\n\n${ticket.ticket}` }],
    input: ticket,
    stream: false,
  });
  expect(event.output_json).toEqual(body.output);
  expect(JSON.parse(event.output as string)).toEqual(body.output);
});

it('repairs almost-JSON without asking again', async () => {
  const res = await invoke('triage-repaired', { input: ticket });
  expect(res.status).toBe(200);
  const body = (await res.json()) as InvokeResponse;
  expect(isTicket(body.output)).toBe(true);
  expect(body.validation).toEqual({ schema: true, valid: true, repaired: true, reasks: 0 });
  const event = await kafka.event(body.interaction_id);
  expect(event.attempts).toEqual([
    expect.objectContaining({ model: 'sloppy', status: 'ok', repaired: true }),
  ]);
  const metrics = await (await fetch(`${gw.url}/metrics`)).text();
  expect(metrics).toMatch(/flywheel_gateway_repairs_total\{route="triage-repaired",kind="repaired"\} [1-9]/);
});

it('re-asks a model whose JSON fails the schema, then falls back to a model that answers', async () => {
  const res = await invoke('triage-reasked', { input: ticket });
  expect(res.status).toBe(200);
  const body = (await res.json()) as InvokeResponse;
  expect(isTicket(body.output)).toBe(true);
  expect(body).toMatchObject({ model: 'ok', validation: { schema: true, valid: true, reasks: 1 } });
  const event = await kafka.event(body.interaction_id);
  expect(event.attempts.map((a) => `${a.model}:${a.status}`)).toEqual([
    'wrong:invalid_output',
    'wrong:invalid_output',
    'ok:ok',
  ]);
  const metrics = await (await fetch(`${gw.url}/metrics`)).text();
  expect(metrics).toMatch(/flywheel_gateway_repairs_total\{route="triage-reasked",kind="reask"\} [1-9]/);
});

it('answers 502 structured_output_invalid with the validation errors when re-asks run out; the event says valid: false', async () => {
  const res = await invoke('triage-exhausted', { input: ticket });
  expect(res.status).toBe(502);
  const body = (await res.json()) as ErrorJson & {
    error: { details: { errors: { path: string; message: string }[] } };
  };
  expect(body.error).toMatchObject({ type: 'structured_output_invalid', error_id: expect.any(String) });
  expect(body.error.details.errors.length).toBeGreaterThan(0);
  expect(body.error.details.errors[0]).toEqual({ path: expect.any(String), message: expect.any(String) });
  expect(JSON.stringify(body)).not.toMatch(/attempts/);
  const event = await kafka.event(res.headers.get('x-flywheel-interaction-id') as string);
  expect(event).toMatchObject({
    status: 'error',
    output: null,
    validation: { schema: true, valid: false, reasks: 1, errors: body.error.details.errors },
  });
  expect(event.attempts.map((a) => a.status)).toEqual(['invalid_output', 'invalid_output']);
});

it('names the template variable a request lacks (400)', async () => {
  const res = await invoke('triage', { input: { ticket: 'Help' } });
  expect(res.status).toBe(400);
  const body = (await res.json()) as ErrorJson;
  expect(body.error.type).toBe('invalid_request');
  expect(body.error.message).toContain('input.customer');
  expect(body.error.details).toEqual({
    issues: [{ path: 'input.customer', message: expect.stringContaining('triage') }],
  });
});

it('takes messages instead of input, and answers text for a route without an output_schema', async () => {
  const res = await invoke('chat', { messages: [{ role: 'user', content: 'Hi there' }], user: 'u-inv-msg' });
  expect(res.status).toBe(200);
  const body = (await res.json()) as InvokeResponse;
  expect(typeof body.output).toBe('string');
  expect(body.output).toMatch(/simulated answer from sim-ok to "Hi there"/);
  expect(body.validation.schema).toBe(false);
});

it('refuses input for a route without a prompt template, both or neither of input and messages, and unknown routes', async () => {
  const noTemplate = await invoke('chat', { input: { q: 'x' } });
  expect(noTemplate.status).toBe(400);
  expect(((await noTemplate.json()) as ErrorJson).error.message).toMatch(/no prompt template/);
  for (const body of [{ input: ticket, messages: [{ role: 'user', content: 'x' }] }, {}, { user: 'u' }]) {
    const res = await invoke('triage', body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorJson).error.message).toMatch(/exactly one of input or messages/);
  }
  const typo = await invoke('triage', { inputs: ticket });
  expect(typo.status).toBe(400);
  const unknown = await invoke('no-such-route', { input: ticket });
  expect(unknown.status).toBe(404);
  expect(((await unknown.json()) as ErrorJson).error.type).toBe('unknown_route');
});
