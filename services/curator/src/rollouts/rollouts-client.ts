import { Logger } from '@nestjs/common';
import { ErrorBody } from '@flywheel/contracts';
import { COMMON_ERROR_STATUS, DomainError } from '@flywheel/platform';
import type { z } from 'zod';

/** How long the curator waits for the rollout controller before answering 502. */
const TIMEOUT_MS = 10_000;

const NOT_CONFIGURED =
  'the rollout controller is not configured: set CURATOR_ROLLOUTS_URL to its base URL (e.g. http://rollouts:8083)';

/**
 * The rollout controller's admin API as the curator reaches it for the console: one origin for
 * the browser (the console's CSP stays `connect-src 'self'`), the controller never exposed to
 * it. The caller was authenticated by the curator's admin gate; the curator authenticates to the
 * controller with its own FLYWHEEL_ADMIN_TOKEN (both services share it).
 */
export class RolloutsClient {
  private readonly logger = new Logger('RolloutsClient');

  /**
   * @param baseUrl the controller's base URL, or undefined when none is configured (a function:
   *   the all-in-one learns it only once the controller listens)
   */
  constructor(
    private readonly baseUrl: () => string | undefined,
    private readonly adminToken: string,
  ) {}

  /**
   * `method path` on the controller, its answer parsed with `schema`. The controller's 4xx
   * answers keep their status and message; an unreachable controller, a refused token, a 5xx or
   * an answer that breaks the contract is a 502 (`bad_gateway`); a 503 stays a 503.
   */
  async call<S extends z.ZodType>(method: 'GET' | 'POST', path: string, schema: S): Promise<z.output<S>> {
    const base = this.baseUrl();
    if (!base) throw new DomainError('not_configured', NOT_CONFIGURED);
    let res: Response;
    try {
      res = await fetch(`${base.replace(/\/+$/, '')}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.adminToken}`, accept: 'application/json' },
        redirect: 'error',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (err) {
      this.logger.warn(`rollout controller unreachable: ${(err as Error).message}`);
      throw new DomainError(
        'bad_gateway',
        'could not reach the rollout controller (CURATOR_ROLLOUTS_URL); check that it is running',
      );
    }
    const body: unknown = await res.json().catch(() => undefined);
    if (res.ok) {
      const parsed = schema.safeParse(body);
      if (parsed.success) return parsed.data;
      this.logger.warn(`rollout controller answered ${method} ${path} outside the contract`);
      throw new DomainError(
        'bad_gateway',
        'the rollout controller sent an answer the curator does not understand',
      );
    }
    throw this.failure(res.status, body);
  }

  private failure(status: number, body: unknown): DomainError {
    const error = ErrorBody.safeParse(body);
    const message = error.success ? error.data.error.message : `the rollout controller answered ${status}`;
    if (status === 401 || status === 403) {
      this.logger.warn(`rollout controller refused the curator's admin token (${status})`);
      return new DomainError(
        'bad_gateway',
        "the rollout controller refused the curator's admin token: give both the same FLYWHEEL_ADMIN_TOKEN",
      );
    }
    if (status === 503) return new DomainError('unavailable', `rollout controller: ${message}`);
    const type = error.success ? error.data.error.type : '';
    const known = Object.hasOwn(COMMON_ERROR_STATUS, type) && status >= 400 && status < 500;
    if (known) return new DomainError(type, message, error.success ? error.data.error.details : undefined);
    const id =
      error.success && error.data.error.error_id ? ` (its error_id ${error.data.error.error_id})` : '';
    return new DomainError('bad_gateway', `the rollout controller failed with ${status}${id}`);
  }
}
