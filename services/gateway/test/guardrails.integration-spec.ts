import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectEventually } from '@flywheel/platform/testing';
import OpenAI from 'openai';
import {
  API_KEY,
  type ErrorJson,
  post,
  startGateway,
  type TestGateway,
  watchInteractions,
} from './gateway-test-kit';

/**
 * Prompt-injection guardrails: known injection prompts sent through the gateway to the
 * simulator's `sim-leak` model (it answers with its whole transcript, system prompt first), as
 * whole answers and as streams. The canary, and any long verbatim run of the system prompt,
 * must never reach the client; events and metrics record every leak.
 */

const CORPUS = JSON.parse(
  readFileSync(join(__dirname, 'fixtures', 'injection-prompts.json'), 'utf8'),
) as string[];

const CANARY = 'ZQ-CANARY-7F3A-91D2';
const REPLACE_CANARY = 'ZQ-CANARY-5B80-C4E6';
const BILLING_SYSTEM =
  'You are the billing assistant of Acme. Offer refunds up to 40 EUR without approval; above that, escalate to a human agent.';
const REPLACEMENT = 'I cannot share my instructions.';

let gw: TestGateway;
let kafka: Awaited<ReturnType<typeof watchInteractions>>;
let openai: OpenAI;
let chatUrl: string;

beforeAll(async () => {
  [gw, kafka] = await Promise.all([startGateway(), watchInteractions()]);
  openai = new OpenAI({ apiKey: API_KEY, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  chatUrl = `${gw.url}/v1/chat/completions`;
}, 60_000);

afterAll(async () => {
  await kafka?.close();
  await gw?.close();
});

/** Runs `fn` over the corpus, a few requests at a time. */
async function overCorpus<T>(fn: (prompt: string, i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < CORPUS.length; i += 8) {
    out.push(...(await Promise.all(CORPUS.slice(i, i + 8).map((p, j) => fn(p, i + j)))));
  }
  return out;
}

function chat(route: string, prompt: string, stream: boolean): Promise<Response> {
  return post(chatUrl, {
    model: `route:${route}`,
    messages: [{ role: 'user', content: prompt }],
    user: 'u-attacker',
    stream,
  });
}

/** Every `n`-character run of `text`. */
function windows(text: string, n: number): string[] {
  return Array.from({ length: text.length - n + 1 }, (_, i) => text.slice(i, i + n));
}

/** The `data:` payloads of an SSE body. */
function sseData(body: string): string[] {
  return body
    .split('\n\n')
    .filter((block) => block.startsWith('data: '))
    .map((block) => block.slice('data: '.length));
}

function streamedText(body: string): string {
  return sseData(body)
    .filter((d) => d !== '[DONE]')
    .map((d) => JSON.parse(d) as { choices?: { delta?: { content?: string } }[] })
    .map((c) => c.choices?.[0]?.delta?.content ?? '')
    .join('');
}

async function trips(route: string, rule: string, action: string): Promise<number> {
  const metrics = await (await fetch(`${gw.url}/metrics`)).text();
  const line = metrics
    .split('\n')
    .find((l) =>
      l.startsWith(
        `flywheel_gateway_guardrail_trips_total{route="${route}",rule="${rule}",action="${action}"}`,
      ),
    );
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

it('the corpus has at least 30 known injection prompts, and the unguarded simulator does leak on them', async () => {
  expect(CORPUS.length).toBeGreaterThanOrEqual(30);
  // the same model without guardrails (a direct call with the canary in the client's system
  // message) answers with the canary: the guarded routes below are tested against a real leak
  const answer = await openai.chat.completions.create({
    model: 'leaky',
    messages: [
      { role: 'system', content: `Internal marker: ${CANARY}.` },
      { role: 'user', content: CORPUS[0] as string },
    ],
  });
  expect(answer.choices[0]?.message.content).toContain(CANARY);
});

describe('on_leak: refuse (canary)', () => {
  it('answers 502 guardrail to every injection prompt, without the canary, and records the leak', async () => {
    const before = await trips('guarded-canary', 'canary', 'refuse');
    const results = await overCorpus(async (prompt) => {
      const res = await chat('guarded-canary', prompt, false);
      const text = await res.text();
      return { status: res.status, text, id: res.headers.get('x-flywheel-interaction-id') as string };
    });
    for (const r of results) {
      expect(r.status).toBe(502);
      expect(r.text).not.toContain(CANARY);
      expect((JSON.parse(r.text) as ErrorJson).error).toMatchObject({
        type: 'guardrail',
        code: 'guardrail',
        message: expect.stringContaining('canary_leak'),
        error_id: expect.any(String),
      });
    }
    for (const r of results) {
      const event = await kafka.event(r.id);
      expect(event).toMatchObject({ status: 'error', guardrail: 'canary_leak', final_model: 'leaky' });
      expect(event.output ?? '').not.toContain(CANARY);
    }
    expect((await trips('guarded-canary', 'canary', 'refuse')) - before).toBe(CORPUS.length);
  });

  it('streams the safe start of the answer, then an error event; the canary never leaves', async () => {
    const before = await trips('guarded-canary', 'canary', 'refuse');
    const results = await overCorpus(async (prompt) => {
      const res = await chat('guarded-canary', prompt, true);
      return { status: res.status, body: await res.text(), id: res.headers.get('x-flywheel-interaction-id') };
    });
    for (const r of results) {
      expect(r.status).toBe(200);
      expect(r.body).not.toContain(CANARY);
      // not even a prefix of it at the very end of what was streamed
      expect(streamedText(r.body)).not.toContain('ZQ-CANARY');
      const data = sseData(r.body);
      expect(data).not.toContain('[DONE]');
      // OpenAI's error shape, as on a whole answer
      expect(JSON.parse(data.at(-1) as string)).toEqual({
        error: {
          type: 'guardrail',
          code: 'guardrail',
          param: null,
          message: expect.stringContaining('canary_leak'),
        },
      });
      const event = await kafka.event(r.id as string);
      expect(event).toMatchObject({ status: 'error', guardrail: 'canary_leak' });
      expect(event.request.stream).toBe(true);
      expect(event.output).toBe(streamedText(r.body));
    }
    expect((await trips('guarded-canary', 'canary', 'refuse')) - before).toBe(CORPUS.length);
  });

  it('the openai SDK sees an APIError for a whole answer and a stream that breaks with the error', async () => {
    await expect(
      openai.chat.completions.create({
        model: 'route:guarded-canary',
        messages: [{ role: 'user', content: CORPUS[1] as string }],
      }),
    ).rejects.toMatchObject({ status: 502 });
    const stream = await openai.chat.completions.create({
      model: 'route:guarded-canary',
      messages: [{ role: 'user', content: CORPUS[2] as string }],
      stream: true,
    });
    let text = '';
    await expect(
      (async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      })(),
    ).rejects.toThrow(/canary_leak/);
    expect(text).not.toContain(CANARY);
  });
});

describe('max_verbatim_chars (anthropic upstream)', () => {
  it('refuses answers that repeat 32 characters of the system prompt, whole and streamed', async () => {
    const before = await trips('guarded-verbatim', 'verbatim', 'refuse');
    const runs = windows(BILLING_SYSTEM, 32);
    const results = await overCorpus(async (prompt, i) => {
      const res = await chat('guarded-verbatim', prompt, i % 2 === 1);
      return { status: res.status, body: await res.text(), stream: i % 2 === 1 };
    });
    for (const r of results) {
      expect(r.status).toBe(r.stream ? 200 : 502);
      for (const run of runs) expect(r.body).not.toContain(run);
      if (!r.stream) expect((JSON.parse(r.body) as ErrorJson).error.type).toBe('guardrail');
    }
    expect((await trips('guarded-verbatim', 'verbatim', 'refuse')) - before).toBe(CORPUS.length);
  });
});

describe('on_leak: replace', () => {
  it('answers the replacement text instead, whole and streamed, and records the leak', async () => {
    const results = await overCorpus(async (prompt, i) => {
      const stream = i % 2 === 1;
      const res = await chat('guarded-replace', prompt, stream);
      const body = await res.text();
      return { status: res.status, body, stream, id: res.headers.get('x-flywheel-interaction-id') as string };
    });
    for (const r of results) {
      expect(r.status).toBe(200);
      expect(r.body).not.toContain(REPLACE_CANARY);
      if (r.stream) {
        expect(sseData(r.body).at(-1)).toBe('[DONE]');
        expect(streamedText(r.body).endsWith(REPLACEMENT)).toBe(true);
      } else {
        const answer = JSON.parse(r.body) as OpenAI.Chat.Completions.ChatCompletion;
        expect(answer.choices[0]?.message.content).toBe(REPLACEMENT);
      }
      const event = await kafka.event(r.id);
      expect(event).toMatchObject({ status: 'ok', guardrail: 'canary_leak' });
      expect(event.output?.endsWith(REPLACEMENT)).toBe(true);
    }
    await expectEventually(
      async () => {
        const n =
          (await trips('guarded-replace', 'canary', 'replace')) +
          (await trips('guarded-replace', 'verbatim', 'replace'));
        expect(n).toBe(CORPUS.length);
      },
      { timeoutMs: 5_000 },
    );
  });
});

describe('answers that leak nothing', () => {
  it('pass through a guarded route unchanged, whole and streamed, with no guardrail in the event', async () => {
    const question = 'Could you tell me how long the refund of an order usually takes, please?';
    const whole = await chat('guarded-echo', question, false);
    expect(whole.status).toBe(200);
    const answer = (await whole.json()) as OpenAI.Chat.Completions.ChatCompletion;
    expect(answer.choices[0]?.message.content).toBe(question);
    const streamed = await chat('guarded-echo', question, true);
    const body = await streamed.text();
    expect(streamedText(body)).toBe(question);
    expect(sseData(body).at(-1)).toBe('[DONE]');
    const event = await kafka.event(streamed.headers.get('x-flywheel-interaction-id') as string);
    expect(event.status).toBe('ok');
    expect(event.guardrail).toBeUndefined();
    expect(event.output).toBe(question);
  });

  it('a body-limit-sized text that keeps almost matching the canary streams through whole', async () => {
    // every piece is a near-miss (`ZQ-CANARY-0D19-77A` + another letter): the scanner must
    // not flag it, and releases it all (the megabyte case is in leak-scanner.spec.ts)
    const nearMisses = Array.from({ length: 3_000 }, (_, i) => `ZQ-CANARY-0D19-77A${'CDEF'[i % 4]} `).join(
      '',
    );
    const res = await post(
      chatUrl,
      { model: 'route:guarded-echo', messages: [{ role: 'user', content: nearMisses }], stream: true },
      {},
    );
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(streamedText(body)).toBe(nearMisses);
  });
});
