import { EvalRun, EvalRunList, type EvalSetCase, SubjectErasure } from '@flywheel/contracts';
import {
  describeFailure,
  errorOf,
  type HttpReply,
  parseBody,
  Service,
  type ServiceOptions,
} from './http-json';
import { UsageError } from './usage-error';
import { parseEvalSet, type SetFormat } from './eval-set';

/**
 * The curator's eval-set and eval-run API (`Authorization: Bearer $FLYWHEEL_ADMIN_TOKEN`):
 * `GET /v1/eval-sets/{route}?format=`, `GET /v1/eval-runs?route=&limit=`, `GET /v1/eval-runs/{id}`,
 * `POST /v1/eval-runs`.
 */

export class CuratorClient {
  private readonly curator: Service;

  private readonly unreachableHint: string;

  /** `unreachableHint`: what to check when the curator does not answer (default: FLYWHEEL_CURATOR_URL) */
  constructor(options: ServiceOptions & { unreachableHint?: string }) {
    this.curator = new Service(options);
    this.unreachableHint = options.unreachableHint ?? 'check FLYWHEEL_CURATOR_URL';
  }

  /** The route's accepted cases in `format`, as the curator writes them. */
  /** `promptfoo`: the gateway URL and variant the exported provider uses (curator defaults otherwise). */
  async exportSet(
    route: string,
    format: SetFormat,
    promptfoo: { gatewayUrl?: string; variant?: string } = {},
  ): Promise<string> {
    const query = new URLSearchParams({ format });
    if (promptfoo.gatewayUrl) query.set('gateway_url', promptfoo.gatewayUrl);
    if (promptfoo.variant) query.set('variant', promptfoo.variant);
    const reply = await this.call('GET', `/v1/eval-sets/${encodeURIComponent(route)}?${query}`);
    return reply.text;
  }

  async cases(route: string): Promise<EvalSetCase[]> {
    return parseEvalSet(await this.exportSet(route, 'jsonl'), `the curator's eval set of route ${route}`);
  }

  /** The newest stored run of `route` with its per-case results, if there is one. */
  async latestRun(route: string): Promise<EvalRun | undefined> {
    const list = parseBody(
      await this.call('GET', `/v1/eval-runs?route=${encodeURIComponent(route)}&limit=1`),
      EvalRunList,
      'curator eval-run list',
    );
    const newest = list.runs[0];
    if (!newest) return undefined;
    return parseBody(
      await this.call('GET', `/v1/eval-runs/${encodeURIComponent(newest.id)}`),
      EvalRun,
      'curator eval run',
    );
  }

  async storeRun(run: EvalRun): Promise<void> {
    await this.call('POST', '/v1/eval-runs', run);
  }

  /**
   * Erases a subject by targeting key or, with `byHash`, by subject hash. The key goes as one
   * percent-encoded path segment and is never part of an error message (it is personal data).
   */
  async eraseSubject(subject: string, { byHash = false } = {}): Promise<SubjectErasure> {
    const path = byHash
      ? `/v1/subjects/by-hash/${encodeURIComponent(subject)}/erase`
      : `/v1/subjects/${encodeURIComponent(subject)}/erase`;
    const reply = await this.curator.send('POST', path).catch((err: Error) => {
      throw new Error(
        `no answer from the curator: ${err.name === 'TransportError' ? 'unreachable or timed out' : err.name}`,
      );
    });
    if (reply.status === 401 || reply.status === 403)
      throw new UsageError(`the curator refused FLYWHEEL_ADMIN_TOKEN (${describeFailure(reply)})`);
    if (reply.status === 400 || reply.status === 501) throw new UsageError(describeFailure(reply));
    if (reply.status !== 200) throw new Error(`curator subject erase: ${describeFailure(reply)}`);
    return parseBody(reply, SubjectErasure, 'curator subject erase');
  }

  private async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<HttpReply> {
    const reply = await this.curator.send(method, path, { body }).catch((err: Error) => {
      throw new Error(
        `no answer from the curator: ${err.message} (${this.unreachableHint})`,
      );
    });
    if (reply.status >= 200 && reply.status < 300) return reply;
    if (reply.status === 401 || reply.status === 403)
      throw new UsageError(`the curator refused FLYWHEEL_ADMIN_TOKEN (${describeFailure(reply)})`);
    if (reply.status === 404 && method === 'GET' && path.startsWith('/v1/eval-sets/'))
      throw new UsageError(errorOf(reply)?.message ?? `the curator has no eval set at ${path}`);
    throw new Error(`curator ${method} ${path.split('?')[0]}: ${describeFailure(reply)}`);
  }
}
