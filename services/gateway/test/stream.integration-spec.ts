import { ChatCompletionChunk } from '@flywheel/contracts';
import { subjectHash } from '@flywheel/platform';
import { expectEventually } from '@flywheel/platform/testing';
import type OpenAI from 'openai';
import { API_KEY, SECRET, type ErrorJson, post, gatewaySuite } from './gateway-test-kit';

/** Streaming chat completions: the real `openai` SDK, and the raw server-sent events. */

const t = gatewaySuite();

const ask = [{ role: 'user' as const, content: 'Tell me about the movie.' }];

/** The `data:` payloads of a raw SSE body, in order. */
function sseData(body: string): string[] {
  expect(body.endsWith('\n\n')).toBe(true);
  return body
    .split('\n\n')
    .filter((block) => block.length > 0)
    .map((block) => {
      expect(block.startsWith('data: ')).toBe(true);
      return block.slice('data: '.length);
    });
}

it('streams through the openai SDK: content arrives word by word and the stream ends cleanly', async () => {
  const whole = await t.openai.chat.completions.create({
    model: 'route:fallback-500',
    messages: ask,
    user: 'u-s',
  });
  const { data: stream, response } = await t.openai.chat.completions
    .create({
      model: 'route:fallback-500',
      messages: ask,
      user: 'u-s',
      stream: true,
      stream_options: { include_usage: true },
    })
    .withResponse();
  // the headers came with the first byte: failover to `ok` had already happened
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  expect(response.headers.get('x-flywheel-model')).toBe('ok');
  expect(response.headers.get('x-flywheel-variant')).toBe('control');
  const id = response.headers.get('x-flywheel-interaction-id') as string;

  const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
  expect(text).toBe(whole.choices[0]?.message.content);
  expect(chunks.filter((c) => c.choices[0]?.delta.content).length).toBeGreaterThan(5);
  expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
  expect(chunks.at(-1)?.usage?.total_tokens).toBe(whole.usage?.total_tokens);
  expect((chunks[0] as unknown as { flywheel: unknown }).flywheel).toEqual({
    interaction_id: id,
    feedback_token: response.headers.get('x-flywheel-feedback-token'),
    route: 'fallback-500',
    variant: 'control',
    model: 'ok',
  });
  for (const chunk of chunks) expect(ChatCompletionChunk.safeParse(chunk).error).toBeUndefined();

  const event = await t.kafka.event(id);
  expect(event).toMatchObject({ status: 'ok', output: text, final_model: 'ok', request: { stream: true } });
  expect(event.attempts.map((a) => a.status)).toEqual(['error', 'error', 'error', 'ok']);
});

it('ends the raw SSE with data: [DONE] after the finish chunk', async () => {
  const res = await post(t.chatUrl, { model: 'route:chat', messages: ask, stream: true, user: 'u-raw' });
  expect(res.status).toBe(200);
  const data = sseData(await res.text());
  expect(data.at(-1)).toBe('[DONE]');
  const chunks = data
    .slice(0, -1)
    .map((d) => JSON.parse(d) as { choices: { finish_reason: string | null }[] });
  expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
  expect(chunks.slice(0, -1).every((c) => c.choices[0]?.finish_reason === null)).toBe(true);
});

it('after the first token, a broken stream ends with an error event and no [DONE]; the event says truncated', async () => {
  const res = await post(t.chatUrl, {
    model: 'route:stream-cut',
    messages: ask,
    stream: true,
    user: 'u-cut',
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('x-flywheel-model')).toBe('cut');
  const data = sseData(await res.text());
  expect(data).not.toContain('[DONE]');
  const last = JSON.parse(data.at(-1) as string) as ErrorJson;
  expect(last.error).toEqual({
    type: 'truncated',
    code: 'truncated',
    param: null,
    message: expect.stringContaining('broke after it started'),
  });
  const deltas = data
    .slice(0, -1)
    .map(
      (d) =>
        (JSON.parse(d) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content ?? '',
    );
  expect(deltas.join('')).toBe('This is a');

  const event = await t.kafka.event(res.headers.get('x-flywheel-interaction-id') as string);
  expect(event).toMatchObject({ status: 'truncated', output: 'This is a', final_model: 'cut' });
  expect(event.attempts).toEqual([expect.objectContaining({ model: 'cut', status: 'truncated' })]);
});

it('through the openai SDK, a truncated stream is an error, never a clean end', async () => {
  const stream = await t.openai.chat.completions.create({
    model: 'route:stream-cut',
    messages: ask,
    stream: true,
  });
  const seen: string[] = [];
  await expect(
    (async () => {
      for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? '');
    })(),
  ).rejects.toThrow(/broke after it started/);
  expect(seen.join('')).toBe('This is a');
});

it('a chain that fails before the first token answers with a JSON error and its status, not a stream', async () => {
  const res = await post(t.chatUrl, { model: 'down', messages: ask, stream: true });
  expect(res.status).toBe(502);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await res.json()) as ErrorJson;
  expect(body.error).toMatchObject({ type: 'upstream_unavailable', error_id: expect.any(String) });
  const event = await t.kafka.event(res.headers.get('x-flywheel-interaction-id') as string);
  expect(event).toMatchObject({ status: 'error', request: { stream: true } });
});

it('a client that goes away before the first token cancels the upstream call, and the event records it', async () => {
  const controller = new AbortController();
  const user = `u-stream-leaving-${Date.now()}`;
  const request = post(
    t.chatUrl,
    { model: 'route:slow', messages: ask, stream: true, user },
    {},
    controller.signal,
  ).catch((err: unknown) => err);
  await expectEventually(() => expect(t.gw.sim.stats().pendingTimers).toBe(1), { intervalMs: 10 });
  controller.abort();
  await request;
  await expectEventually(() => expect(t.gw.sim.stats().pendingTimers).toBe(0), { intervalMs: 20 });
  const event = await t.kafka.where((e) => e.subject_hash === subjectHash(user, SECRET));
  expect(event).toMatchObject({ route: 'slow', status: 'error', request: { stream: true } });
  expect(event.attempts).toEqual([expect.objectContaining({ model: 'slow', error_class: 'cancelled' })]);
});

it('a client that goes away mid-stream, after the first token, cancels the upstream call, and the event records it', async () => {
  const controller = new AbortController();
  const user = `u-stream-leaving-mid-${Date.now()}`;
  const res = await fetch(t.chatUrl, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'dripping', messages: ask, stream: true, user }),
    signal: controller.signal,
  });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  // read until the first content delta has arrived: the gateway is committed to this stream
  let received = '';
  while (!/"content":"[^"]+"/.test(received)) {
    const { value } = await reader.read();
    received += new TextDecoder().decode(value);
  }
  expect(t.gw.sim.stats().pendingTimers).toBe(1); // the upstream is waiting to send the next event
  controller.abort();
  await reader.cancel().catch(() => undefined);
  // the gateway aborted its upstream call: the simulator's connection closed, its timer cleared
  // (a stream left running would always hold one pending 500 ms timer)
  await expectEventually(() => expect(t.gw.sim.stats().pendingTimers).toBe(0), {
    timeoutMs: 2_000,
    intervalMs: 20,
  });
  const event = await t.kafka.where((e) => e.subject_hash === subjectHash(user, SECRET));
  expect(event).toMatchObject({ route: null, request: { stream: true } });
  expect(event.status).not.toBe('ok');
  expect(event.attempts).toEqual([expect.objectContaining({ model: 'dripping', error_class: 'cancelled' })]);
  expect(event.output ?? '').not.toBe('');
});
