// The curator's triage API as the console calls it. Types come from the contracts (type-only
// imports: zod stays out of the bundle); the curator validates every body it accepts.
import type {
  AcceptCaseRequest,
  BulkCaseRequest,
  BulkCaseResult,
  CaseList,
  EvalCase,
  EvalCaseDetail,
  EvalCaseStatus,
  EvalRunList,
  ParkedList,
  RejectCaseRequest,
  RolloutAction,
  RolloutList,
  RolloutState,
  VoteCounts,
} from '@flywheel/contracts';

/** The part of a fetch `Response` the console reads. */
export interface ResponseLike {
  ok: boolean;
  status: number;
  statusText: string;
  json(): Promise<unknown>;
  text(): Promise<string>;
}

export interface RequestOptions {
  method: string;
  headers: Record<string, string>;
  body?: string;
}

/** `window.fetch`, or a fake in component tests. */
export type Fetch = (path: string, init: RequestOptions) => Promise<ResponseLike>;

/** The `GET /v1/cases` filters the console sets; empty means "any". */
export interface CaseFilters {
  status?: EvalCaseStatus;
  route?: string;
  variant?: string;
  reason?: string;
  /** `YYYY-MM-DD`, on the case's last_seen_at */
  since?: string;
  until?: string;
}

export const FILTER_KEYS = ['status', 'route', 'variant', 'reason', 'since', 'until'] as const;

/** A failed call, with the curator's `{error: {type, message}}` when it sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The query string of `GET /v1/cases`, without empty filters. */
export function casesQuery(filters: CaseFilters, page: { limit: number; offset: number }): string {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = filters[key];
    if (value) params.set(key, value);
  }
  params.set('limit', String(page.limit));
  params.set('offset', String(page.offset));
  return params.toString();
}

export class CuratorApi {
  /**
   * @param onUnauthorized called on a 401 before the call rejects, so the console can ask for
   *   the token again
   */
  constructor(
    private readonly token: string,
    private readonly fetchImpl: Fetch,
    private readonly onUnauthorized: () => void = () => {},
  ) {}

  listCases(filters: CaseFilters, page: { limit: number; offset: number }): Promise<CaseList> {
    return this.json('GET', `/v1/cases?${casesQuery(filters, page)}`);
  }

  getCase(id: string): Promise<EvalCaseDetail> {
    return this.json('GET', `/v1/cases/${encodeURIComponent(id)}`);
  }

  accept(id: string, body: AcceptCaseRequest): Promise<EvalCase> {
    return this.json('POST', `/v1/cases/${encodeURIComponent(id)}/accept`, body);
  }

  reject(id: string, body: RejectCaseRequest): Promise<EvalCase> {
    return this.json('POST', `/v1/cases/${encodeURIComponent(id)}/reject`, body);
  }

  bulk(body: BulkCaseRequest): Promise<BulkCaseResult> {
    return this.json('POST', '/v1/cases/bulk', body);
  }

  parked(): Promise<ParkedList> {
    return this.json('GET', '/v1/parked');
  }

  /** Current votes (joined or not) per route and variant. */
  voteCounts(): Promise<VoteCounts> {
    return this.json('GET', '/v1/votes');
  }

  evalRuns(): Promise<EvalRunList> {
    return this.json('GET', '/v1/eval-runs');
  }

  /** Every planned route's rollout, from the rollout controller through the curator. */
  rollouts(): Promise<RolloutList> {
    return this.json('GET', '/v1/rollouts');
  }

  /** An admin action on a route's rollout; a refusal (409) carries the controller's reason. */
  rolloutAction(route: string, action: RolloutAction): Promise<RolloutState> {
    return this.json('POST', `/v1/rollouts/${encodeURIComponent(route)}/${action}`);
  }

  /** The route's accepted cases, one JSON object per line. */
  async exportSet(route: string): Promise<string> {
    const res = await this.send('GET', `/v1/eval-sets/${encodeURIComponent(route)}?format=jsonl`);
    return res.text();
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.send(method, path, body);
    return (await res.json()) as T;
  }

  private async send(method: string, path: string, body?: unknown): Promise<ResponseLike> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: ResponseLike;
    try {
      res = await this.fetchImpl(path, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch {
      throw new ApiError(0, 'network', 'Could not reach the curator. Check that it is running.');
    }
    if (res.ok) return res;
    if (res.status === 401) this.onUnauthorized();
    throw await errorOf(res);
  }
}

async function errorOf(res: ResponseLike): Promise<ApiError> {
  let type = 'http_error';
  let message = `The curator answered ${res.status}${res.statusText ? ` ${res.statusText}` : ''}.`;
  try {
    const body = (await res.json()) as { error?: { type?: unknown; message?: unknown } };
    if (typeof body.error?.type === 'string') type = body.error.type;
    if (typeof body.error?.message === 'string' && body.error.message) message = body.error.message;
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(res.status, type, message);
}
