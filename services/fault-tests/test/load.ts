import { randomInt } from 'node:crypto';
import { setTimeout as wait } from 'node:timers/promises';
import type { Ledger } from './ledger';
import { API_KEY, type Stack } from './stack';

export interface LoadOptions {
  /** gateway requests per second; each answered one is voted on when `vote` */
  ratePerS: number;
  /** vote on every answered interaction, alternately down and up */
  vote: boolean;
  /** size of each request's user message (the interaction event carries it) */
  messageBytes?: number;
  /** at most this many requests in flight; a tick beyond it sends nothing */
  maxInFlight?: number;
}

const REQUEST_TIMEOUT_MS = 30_000;

/** Letters only: digits could look like PII to the curator's redaction and merge inputs. */
function words(bytes: number): string {
  const out: string[] = [];
  let length = 0;
  while (length < bytes) {
    const word = Array.from({ length: 8 }, () => String.fromCharCode(97 + randomInt(26))).join('');
    out.push(word);
    length += word.length + 1;
  }
  return out.join(' ');
}

/**
 * Steady client traffic: chat completions through the gateway at a fixed rate and a vote on
 * each answer, every answer recorded in the ledger. Follows the services' URLs, so a
 * restarted process (new port) gets the traffic again; a request to a dead one is counted
 * as a network refusal.
 */
export class Load {
  private timer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private seq = 0;

  constructor(
    private readonly stack: Stack,
    private readonly ledger: Ledger,
    private readonly opts: LoadOptions,
  ) {}

  start(): this {
    const max = this.opts.maxInFlight ?? 64;
    this.timer = setInterval(() => {
      if (this.inFlight.size >= max) return;
      const p = this.one().finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    }, 1000 / this.opts.ratePerS);
    return this;
  }

  /** Runs for `ms` (the traffic during a fault or between faults). */
  async for(ms: number): Promise<void> {
    await wait(ms);
  }

  /** Stops sending and waits for the requests in flight. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.allSettled([...this.inFlight]);
  }

  /** Sends `n` requests (at most `maxInFlight` at once) and resolves when all are answered. */
  async burst(n: number): Promise<void> {
    const max = this.opts.maxInFlight ?? 16;
    let next = 0;
    const worker = async () => {
      while (next < n) {
        next++;
        await this.one();
      }
    };
    await Promise.all(Array.from({ length: Math.min(max, n) }, worker));
  }

  private async one(): Promise<void> {
    const n = this.seq++;
    const user = `fault-user-${n % 500}`;
    const content = `${this.ledger.name} ${words(this.opts.messageBytes ?? 64)}`;
    const answered = await this.call(`${this.stack.gateway.url}/v1/chat/completions`, {
      headers: { authorization: `Bearer ${API_KEY}` },
      body: { model: 'route:chat', user, messages: [{ role: 'user', content }] },
      ok: 200,
    });
    if (!answered) return;
    const interactionId = answered.headers.get('x-flywheel-interaction-id');
    const token = answered.headers.get('x-flywheel-feedback-token');
    if (!interactionId || !token)
      throw new Error('a gateway answer without interaction id or feedback token');
    this.ledger.interactions.add(interactionId);
    if (!this.opts.vote) return;
    const rating = n % 2 === 0 ? 'down' : 'up';
    const voted = await this.call(`${this.stack.feedback.url}/v1/feedback`, {
      body: {
        interaction_id: interactionId,
        token,
        rating,
        ...(rating === 'down' && { reasons: ['incorrect'] }),
      },
      ok: 202,
    });
    if (!voted) return;
    const { feedback_id: feedbackId } = (await voted.json()) as { feedback_id: string };
    this.ledger.votes.set(feedbackId, { feedbackId, interactionId, rating });
  }

  /** The response when it has the expected status, else null with the refusal counted. */
  private async call(
    url: string,
    req: { headers?: Record<string, string>; body: unknown; ok: number },
  ): Promise<Response | null> {
    this.ledger.sent++;
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...req.headers },
        body: JSON.stringify(req.body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch {
      this.ledger.refuse('network');
      return null;
    }
    if (res.status === req.ok) return res;
    this.ledger.refuse(res.status);
    if (res.status === 503 && !res.headers.get('retry-after')) this.ledger.unavailableWithoutRetryAfter++;
    await res.arrayBuffer().catch(() => undefined);
    return null;
  }
}

/** Runs `fault` under steady load; resolves once the load has stopped and its requests are answered. */
export async function underLoad(
  stack: Stack,
  ledger: Ledger,
  opts: LoadOptions,
  fault: (load: Load) => Promise<void>,
): Promise<void> {
  const load = new Load(stack, ledger, opts).start();
  try {
    await fault(load);
  } finally {
    await load.stop();
  }
}
