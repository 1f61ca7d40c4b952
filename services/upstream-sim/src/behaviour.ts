/**
 * The requested model name picks what the simulator does, so gateway configs and tests can
 * script faults. Grammar: `sim` followed by `-`-separated modifiers in any order, each at most
 * once per category:
 *
 *   content  `ok` (default) | `echo` | `tool` (calls the request's first tool; answers a tool result)
 *            | `leak` (the whole transcript, system prompt first: obeys every prompt injection)
 *   latency  `slow-<ms>`
 *   pacing   `drip-<ms>` (streams: wait `<ms>` between events)
 *   variation `coin-<pct>` (pct % of the answers use the other content mode, ok ↔ echo)
 *   timing   `timed` (a non-streamed text answer ends with ` [sim-ms=<ms>]`: the time from the
 *            request's arrival to its answer, so a benchmark can subtract the upstream's own time)
 *   fault    `400` | `500` | `503` | `529` | `429[-<retry-after s>]` | `timeout` | `blackhole`
 *            | `stall` | `reset` | `badjson` | `invalidjson` | `cutstream` | `flaky-<pct>`
 *
 * e.g. `sim-ok`, `sim-slow-200`, `sim-echo-slow-50-cutstream`, `sim-429-3`, `sim-flaky-30`,
 * `sim-coin-50`.
 */

export type ContentMode = 'ok' | 'echo' | 'tool' | 'leak';

/** An HTTP error answered in the provider's own error format. */
export type ErrorStatus = 400 | 429 | 500 | 503 | 529;

export type Fault =
  | { kind: 'none' }
  | { kind: 'status'; status: ErrorStatus; retryAfterS?: number }
  | { kind: 'flaky'; pct: number }
  | { kind: 'timeout' }
  | { kind: 'blackhole' }
  | { kind: 'stall' }
  | { kind: 'reset' }
  | { kind: 'badjson' }
  | { kind: 'invalidjson' }
  | { kind: 'cutstream' };

export interface Behaviour {
  content: ContentMode;
  slowMs: number;
  fault: Fault;
  /**
   * `coin-<pct>`: pct % of the requests for this model name answer with the other content mode
   * (ok ↔ echo), chosen by the same counter rule as `flaky-<pct>` — a model whose answer to
   * the same input varies between calls (flaky eval cases).
   */
  coin?: { pct: number };
  /** `drip-<ms>`: a stream sends its events one at a time, `ms` apart (a slow mid-stream). */
  dripMs?: number;
  /** `timed`: the answer text ends with ` [sim-ms=<ms>]`, the simulator's own time for the request. */
  timed?: true;
}

export function otherContent(content: ContentMode): ContentMode {
  return content === 'echo' ? 'ok' : 'echo';
}

/** The label `stats().byBehaviour` counts a request under. */
export function behaviourLabel(b: Behaviour): string {
  switch (b.fault.kind) {
    case 'none':
      return b.coin ? 'coin' : b.content;
    case 'status':
      return String(b.fault.status);
    default:
      return b.fault.kind;
  }
}

const DEFAULT_RETRY_AFTER_S = 1;
const MAX_SLOW_MS = 600_000;
const STATUS_FAULTS: ReadonlySet<string> = new Set(['400', '500', '503', '529']);
const SIMPLE_FAULTS = [
  'timeout',
  'blackhole',
  'stall',
  'reset',
  'badjson',
  'invalidjson',
  'cutstream',
] as const;
type SimpleFault = (typeof SIMPLE_FAULTS)[number];

function isSimpleFault(token: string): token is SimpleFault {
  return (SIMPLE_FAULTS as readonly string[]).includes(token);
}

function isUint(token: string | undefined): token is string {
  return token !== undefined && /^\d{1,9}$/.test(token);
}

/** Parses a model name; `undefined` means "unknown model" (answered with 404 model_not_found). */
export function parseBehaviour(model: string): Behaviour | undefined {
  const tokens = model.split('-');
  if (tokens[0] !== 'sim' || tokens.length < 2) return undefined;
  let content: ContentMode | undefined;
  let slowMs: number | undefined;
  let fault: Fault | undefined;
  let coin: Behaviour['coin'];
  let dripMs: number | undefined;
  let timed = false;

  for (let i = 1; i < tokens.length; i++) {
    const token = tokens[i] as string;
    const next = tokens[i + 1];
    if (token === 'ok' || token === 'echo' || token === 'tool' || token === 'leak') {
      if (content) return undefined;
      content = token;
    } else if (token === 'slow') {
      if (slowMs !== undefined || !isUint(next) || Number(next) > MAX_SLOW_MS) return undefined;
      slowMs = Number(next);
      i++;
    } else if (token === 'drip') {
      if (dripMs !== undefined || !isUint(next) || Number(next) > MAX_SLOW_MS) return undefined;
      dripMs = Number(next);
      i++;
    } else if (token === 'timed') {
      if (timed) return undefined;
      timed = true;
    } else if (token === 'coin') {
      if (coin || !isUint(next) || Number(next) > 100) return undefined;
      coin = { pct: Number(next) };
      i++;
    } else if (fault) {
      return undefined;
    } else if (STATUS_FAULTS.has(token)) {
      fault = { kind: 'status', status: Number(token) as ErrorStatus };
    } else if (token === '429') {
      const retryAfterS = isUint(next) ? Number(next) : DEFAULT_RETRY_AFTER_S;
      if (isUint(next)) i++;
      fault = { kind: 'status', status: 429, retryAfterS };
    } else if (token === 'flaky') {
      if (!isUint(next) || Number(next) > 100) return undefined;
      fault = { kind: 'flaky', pct: Number(next) };
      i++;
    } else if (isSimpleFault(token)) {
      fault = { kind: token };
    } else {
      return undefined;
    }
  }
  const behaviour: Behaviour = {
    content: content ?? 'ok',
    slowMs: slowMs ?? 0,
    fault: fault ?? { kind: 'none' },
  };
  if (coin) behaviour.coin = coin;
  if (dripMs !== undefined) behaviour.dripMs = dripMs;
  if (timed) behaviour.timed = true;
  return behaviour;
}

/**
 * `sim-flaky-<pct>` (and `sim-coin-<pct>`, with "flips" for "fails") is deterministic by a counter: the n-th request (1-based) for a given model
 * name on a given server fails iff ceil(n·pct/100) > ceil((n−1)·pct/100). So exactly `pct` of
 * every 100 consecutive requests fail, spread evenly, and the first request fails whenever
 * pct > 0 (`sim-flaky-50`: fail, ok, fail, ok, …).
 */
export class FlakyCounter {
  private readonly counts = new Map<string, number>();

  /** Counts one request for `model` and says whether it must fail. */
  next(model: string, pct: number): boolean {
    const n = (this.counts.get(model) ?? 0) + 1;
    this.counts.set(model, n);
    return Math.ceil((n * pct) / 100) > Math.ceil(((n - 1) * pct) / 100);
  }

  reset(): void {
    this.counts.clear();
  }
}
