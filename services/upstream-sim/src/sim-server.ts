import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { type Socket } from 'node:net';
import {
  type Behaviour,
  behaviourLabel,
  type ErrorStatus,
  FlakyCounter,
  otherContent,
  parseBehaviour,
} from './behaviour';
import { complete, type SimRequest } from './completion';
import { embeddingsAnswer, parseEmbeddings } from './embeddings';
import { anthropicDialect } from './providers/anthropic';
import { type Dialect, isSimError, type SimError } from './providers/dialect';
import { openAiDialect } from './providers/openai';

export interface SimServerOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Extra latency before every completion answer, on top of `sim-slow-<ms>`. Default 0. */
  latencyMs?: number;
}

export interface SimStats {
  /** Every HTTP request received, any path. */
  requests: number;
  /** Completion requests (both providers) that passed auth and body checks, by model name as sent. */
  byModel: Record<string, number>;
  /** The same requests by behaviour: `ok`, `echo`, `500`, `429`, `timeout`, `flaky`, …, `unknown`. */
  byBehaviour: Record<string, number>;
  /** Responses by the status code sent (absent for requests that never got a status line). */
  byStatus: Record<string, number>;
  /** Requests whose response has not finished and whose connection is still open. */
  inFlight: number;
  openConnections: number;
  /** Latency timers not yet fired or cleared. */
  pendingTimers: number;
}

export interface SimServer {
  /** e.g. `http://127.0.0.1:40123`; OpenAI clients use `${url}/v1`, Anthropic clients `url`. */
  url: string;
  port: number;
  stats(): SimStats;
  /** Zeroes the counters and the `sim-flaky-<pct>` / `sim-coin-<pct>` sequences. */
  reset(): void;
  /**
   * The JSON bodies of the last {@link RECEIVED_LIMIT} completion requests, oldest first, with
   * their path: a test asserts what an upstream really received. Cleared by `reset()`.
   */
  received(): readonly ReceivedRequest[];
  /** Stops listening, cancels pending answers and destroys open connections (hung ones too). */
  close(): Promise<void>;
}

/** One completion request as the simulator received it. */
export interface ReceivedRequest {
  path: string;
  body: unknown;
}

export const RECEIVED_LIMIT = 100;

/** The model names `GET /v1/models` lists: one per behaviour, with example parameters. */
export const LISTED_MODELS: readonly string[] = [
  'sim-ok',
  'sim-echo',
  'sim-tool',
  'sim-slow-200',
  'sim-400',
  'sim-429',
  'sim-500',
  'sim-503',
  'sim-529',
  'sim-timeout',
  'sim-blackhole',
  'sim-stall',
  'sim-reset',
  'sim-badjson',
  'sim-invalidjson',
  'sim-cutstream',
  'sim-flaky-50',
  'sim-coin-50',
];

const EMBEDDINGS_PATH = '/v1/embeddings';

const DIALECTS: Readonly<Record<string, Dialect>> = {
  '/v1/chat/completions': openAiDialect,
  '/v1/messages': anthropicDialect,
  [EMBEDDINGS_PATH]: openAiDialect,
};

const MAX_BODY_BYTES = 10 * 1024 * 1024;

const FAULT_ERRORS: Record<ErrorStatus, Pick<SimError, 'kind' | 'message' | 'code'>> = {
  400: { kind: 'invalid_request', message: 'Simulated invalid request (sim-400).' },
  429: { kind: 'rate_limit', message: 'Simulated rate limit (sim-429).', code: 'rate_limit_exceeded' },
  500: { kind: 'server', message: 'Simulated internal server error.' },
  503: { kind: 'unavailable', message: 'Simulated service unavailable (sim-503).' },
  529: { kind: 'overloaded', message: 'Simulated overload (sim-529).' },
};

function count(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

class Simulator {
  private readonly flaky = new FlakyCounter();
  private readonly coin = new FlakyCounter();
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private seq = 0;
  private requests = 0;
  private inFlight = 0;
  private byModel: Record<string, number> = {};
  private byBehaviour: Record<string, number> = {};
  private byStatus: Record<string, number> = {};
  private received: ReceivedRequest[] = [];
  readonly server = createServer((req, res) => this.onRequest(req, res));

  constructor(private readonly latencyMs: number) {
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  stats(): SimStats {
    return {
      requests: this.requests,
      byModel: { ...this.byModel },
      byBehaviour: { ...this.byBehaviour },
      byStatus: { ...this.byStatus },
      inFlight: this.inFlight,
      openConnections: this.sockets.size,
      pendingTimers: this.timers.size,
    };
  }

  receivedRequests(): readonly ReceivedRequest[] {
    return [...this.received];
  }

  reset(): void {
    this.received = [];
    this.requests = 0;
    this.byModel = {};
    this.byBehaviour = {};
    this.byStatus = {};
    this.flaky.reset();
    this.coin.reset();
  }

  /** Resolves once the server stopped and every connection (hung ones included) has closed. */
  async shutdown(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const socketsClosed = [...this.sockets].map(
      (s) => new Promise<void>((resolve) => s.once('close', () => resolve())),
    );
    const serverClosed = new Promise<void>((resolve, reject) =>
      this.server.close((err) => (err ? reject(err) : resolve())),
    );
    for (const socket of this.sockets) socket.destroy();
    await Promise.all([serverClosed, ...socketsClosed]);
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const arrivedAt = performance.now();
    this.requests++;
    this.inFlight++;
    res.once('close', () => this.inFlight--);
    const seq = ++this.seq;
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';

    if (req.method === 'GET' && path === '/healthz') {
      req.resume();
      this.send(res, 200, { status: 'ok' });
      return;
    }
    if (path === '/_sim/stats' && req.method === 'GET') {
      req.resume();
      this.send(res, 200, this.stats());
      return;
    }
    if (path === '/_sim/reset' && req.method === 'POST') {
      req.resume();
      this.reset();
      this.send(res, 200, { reset: true });
      return;
    }
    if (req.method === 'GET' && path === '/v1/models') {
      req.resume();
      const d = req.headers['anthropic-version'] !== undefined ? anthropicDialect : openAiDialect;
      if (!d.hasApiKey(req.headers)) this.fail(res, d, seq, missingKey(d));
      else this.send(res, 200, d.models(LISTED_MODELS), { [d.requestIdHeader]: requestIdOf(seq) });
      return;
    }
    const dialect = DIALECTS[path];
    if (dialect === undefined || req.method !== 'POST') {
      req.resume();
      const d = path.startsWith('/v1/messages') ? anthropicDialect : openAiDialect;
      const message = `Unknown request URL: ${req.method ?? ''} ${path}.`;
      this.fail(res, d, seq, { status: 404, kind: 'not_found', message, code: 'unknown_url' });
      return;
    }
    if (!dialect.hasApiKey(req.headers)) {
      req.resume();
      this.fail(res, dialect, seq, missingKey(dialect));
      return;
    }

    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) {
        const message = `Request body exceeds ${MAX_BODY_BYTES} bytes.`;
        this.fail(res, dialect, seq, { status: 413, kind: 'too_large', message });
        return;
      }
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        const message = 'We could not parse the JSON body of your request.';
        this.fail(res, dialect, seq, { status: 400, kind: 'invalid_request', message });
        return;
      }
      if (this.received.push({ path, body }) > RECEIVED_LIMIT) this.received.shift();
      if (path === EMBEDDINGS_PATH) {
        this.embeddings(res, seq, body);
        return;
      }
      const parsed = dialect.parse(body);
      if (isSimError(parsed)) {
        this.fail(res, dialect, seq, parsed);
        return;
      }
      count(this.byModel, parsed.model);
      const behaviour = parseBehaviour(parsed.model);
      if (behaviour === undefined) {
        count(this.byBehaviour, 'unknown');
        this.fail(res, dialect, seq, unknownModel(dialect, parsed.model));
        return;
      }
      count(this.byBehaviour, behaviourLabel(behaviour));
      const failNow = behaviour.fault.kind === 'flaky' && this.flaky.next(parsed.model, behaviour.fault.pct);
      const flip = behaviour.coin !== undefined && this.coin.next(parsed.model, behaviour.coin.pct);
      const answered = flip ? { ...behaviour, content: otherContent(behaviour.content) } : behaviour;
      this.after(res, this.latencyMs + behaviour.slowMs, () =>
        this.answer(res, dialect, seq, parsed, answered, failNow, arrivedAt),
      );
    });
  }

  /**
   * An embeddings request: the model name's behaviour applies (latency, status faults, flaky,
   * timeout/blackhole, reset); the other faults concern completions and answer normally.
   */
  private embeddings(res: ServerResponse, seq: number, body: unknown): void {
    const parsed = parseEmbeddings(body);
    if (isSimError(parsed)) return this.fail(res, openAiDialect, seq, parsed);
    count(this.byModel, parsed.model);
    const behaviour = parseBehaviour(parsed.model);
    if (behaviour === undefined) {
      count(this.byBehaviour, 'unknown');
      return this.fail(res, openAiDialect, seq, unknownModel(openAiDialect, parsed.model));
    }
    count(this.byBehaviour, behaviourLabel(behaviour));
    const { fault } = behaviour;
    const flakyFails = fault.kind === 'flaky' && this.flaky.next(parsed.model, fault.pct);
    this.after(res, this.latencyMs + behaviour.slowMs, () => {
      if (fault.kind === 'status') {
        const headers = fault.retryAfterS !== undefined ? { 'retry-after': String(fault.retryAfterS) } : {};
        return this.fail(
          res,
          openAiDialect,
          seq,
          { status: fault.status, ...FAULT_ERRORS[fault.status] },
          headers,
        );
      }
      if (flakyFails) return this.fail(res, openAiDialect, seq, { status: 500, ...FAULT_ERRORS[500] });
      if (fault.kind === 'timeout' || fault.kind === 'blackhole') return;
      if (fault.kind === 'reset') return void res.socket?.destroy();
      this.send(res, 200, embeddingsAnswer(parsed), { [openAiDialect.requestIdHeader]: requestIdOf(seq) });
    });
  }

  /** Writes `events` one by one, `ms` apart; a client that goes away stops it (no timer left). */
  private drip(res: ServerResponse, events: readonly string[], ms: number): void {
    let next = 0;
    const write = (): void => {
      const event = events[next++];
      if (event === undefined) return void res.end();
      res.write(event);
      this.after(res, ms, write);
    };
    write();
  }

  /** Runs `fn` after `ms` unless the client went away first; the timer never outlives the exchange. */
  private after(res: ServerResponse, ms: number, fn: () => void): void {
    if (ms <= 0) {
      fn();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      res.off('close', cancel);
      if (!res.destroyed) fn();
    }, ms);
    const cancel = (): void => {
      clearTimeout(timer);
      this.timers.delete(timer);
    };
    this.timers.add(timer);
    res.once('close', cancel);
  }

  private answer(
    res: ServerResponse,
    dialect: Dialect,
    seq: number,
    req: SimRequest,
    behaviour: Behaviour,
    flakyFails: boolean,
    arrivedAt: number,
  ): void {
    const fault = behaviour.fault;
    const idHeader = { [dialect.requestIdHeader]: requestIdOf(seq) };
    switch (fault.kind) {
      case 'status': {
        const headers = fault.retryAfterS !== undefined ? { 'retry-after': String(fault.retryAfterS) } : {};
        this.fail(res, dialect, seq, { status: fault.status, ...FAULT_ERRORS[fault.status] }, headers);
        return;
      }
      case 'flaky':
        if (flakyFails) {
          this.fail(res, dialect, seq, { status: 500, ...FAULT_ERRORS[500] });
          return;
        }
        break;
      case 'timeout':
      case 'blackhole':
        return; // hold the request, send nothing; `close` on the response cleans up
      case 'reset':
        res.socket?.destroy();
        return;
      default:
        break;
    }

    const completion = complete(req, behaviour);
    if (behaviour.timed && !req.stream && completion.kind === 'text')
      completion.text += ` [sim-ms=${(performance.now() - arrivedAt).toFixed(3)}]`;
    const ids = { seq, created: Math.floor(Date.now() / 1000) };
    if (req.stream) {
      const script = dialect.stream(req, completion, ids);
      this.head(res, 200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        ...idHeader,
      });
      if (fault.kind === 'stall') {
        res.write(script.events[0] ?? '');
      } else if (fault.kind === 'cutstream') {
        res.write(script.events.slice(0, script.cutAfter).join(''), () => res.destroy());
      } else if (behaviour.dripMs !== undefined) {
        this.drip(res, script.events, behaviour.dripMs);
      } else {
        res.end(script.events.join(''));
      }
      return;
    }
    const payload = JSON.stringify(dialect.message(req, completion, ids));
    const length = Buffer.byteLength(payload);
    this.head(res, 200, { 'content-type': 'application/json', 'content-length': length, ...idHeader });
    if (fault.kind === 'stall') {
      res.flushHeaders();
    } else if (fault.kind === 'cutstream') {
      res.write(payload.slice(0, Math.floor(payload.length / 2)), () => res.destroy());
    } else {
      res.end(payload);
    }
  }

  private head(res: ServerResponse, status: number, headers: OutgoingHttpHeaders): void {
    count(this.byStatus, String(status));
    res.writeHead(status, headers);
  }

  private send(res: ServerResponse, status: number, body: object, headers: OutgoingHttpHeaders = {}): void {
    const payload = JSON.stringify(body);
    this.head(res, status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(payload),
      ...headers,
    });
    res.end(payload);
  }

  private fail(
    res: ServerResponse,
    dialect: Dialect,
    seq: number,
    err: SimError,
    headers: OutgoingHttpHeaders = {},
  ): void {
    const requestId = requestIdOf(seq);
    this.send(res, err.status, dialect.errorBody(err, requestId), {
      [dialect.requestIdHeader]: requestId,
      ...headers,
    });
  }
}

function requestIdOf(seq: number): string {
  return `req_sim_${seq}`;
}

function missingKey(d: Dialect): SimError {
  const message =
    d.name === 'anthropic'
      ? 'x-api-key header is required'
      : "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).";
  return { status: 401, kind: 'authentication', message };
}

function unknownModel(d: Dialect, model: string): SimError {
  const message =
    d.name === 'anthropic'
      ? `model: ${model}`
      : `The model \`${model}\` does not exist or you do not have access to it.`;
  return { status: 404, kind: 'not_found', message, param: 'model', code: 'model_not_found' };
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** Starts the simulator; resolves once it listens. */
export async function createSimServer(opts: SimServerOptions = {}): Promise<SimServer> {
  const host = opts.host ?? '127.0.0.1';
  const sim = new Simulator(opts.latencyMs ?? 0);
  const { server } = sim;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('upstream-sim: not listening on TCP');
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost(host)}:${address.port}`,
    port: address.port,
    stats: () => sim.stats(),
    reset: () => sim.reset(),
    received: () => sim.receivedRequests(),
    close(): Promise<void> {
      closing ??= sim.shutdown();
      return closing;
    },
  };
}
