import { DomainError } from '@flywheel/platform';
import type { ApiKey } from './api-keys';

/** What a request asks of its key: read from the body before anything runs. */
export interface KeyAsk {
  /** the route (`model: "route:<name>"`, or the invoke path), null for a direct model call */
  route: string | null;
  /** the model id of a direct call, else null */
  model: string | null;
  messages?: readonly { role: string }[];
  /** `max_completion_tokens ?? max_tokens`, when sent */
  maxTokens?: number | null;
}

/** Why a key refused a request: a metrics label, and the error code for all but the limits. */
export type KeyRefusal =
  | 'route_not_allowed'
  | 'model_not_allowed'
  | 'system_not_allowed'
  | 'max_tokens_exceeded'
  | 'requests_per_min'
  | 'tokens_per_min'
  | 'concurrent';

/** A refusal by the key's scope; `reason` labels the metric. */
export class KeyScopeError extends DomainError {
  constructor(
    readonly reason: Exclude<KeyRefusal, 'requests_per_min' | 'tokens_per_min' | 'concurrent'>,
    message: string,
    param?: string,
  ) {
    super(reason, message, param === undefined ? undefined : { issues: [{ path: param, message }] });
  }
}

const allows = (list: '*' | ReadonlySet<string>, name: string): boolean => list === '*' || list.has(name);

/**
 * Checks a request against its key's scope: the route or direct model, client `system` /
 * `developer` messages, and `max_tokens` against the key's cap and the gateway's
 * `maxTokensLimit`. Throws the first {@link KeyScopeError}.
 */
export function checkKeyScope(key: ApiKey, ask: KeyAsk, maxTokensLimit: number): void {
  if (ask.route !== null && !allows(key.routes, ask.route)) {
    throw new KeyScopeError(
      'route_not_allowed',
      `this API key (${key.name}) may not call route "${ask.route}"`,
    );
  }
  if (ask.model !== null && !allows(key.models, ask.model)) {
    throw new KeyScopeError(
      'model_not_allowed',
      `this API key (${key.name}) may not call model "${ask.model}" directly; use "route:<name>"`,
    );
  }
  if (!key.allowSystem && ask.messages) {
    const i = ask.messages.findIndex((m) => m.role === 'system' || m.role === 'developer');
    if (i >= 0) {
      const role = ask.messages[i]!.role;
      throw new KeyScopeError(
        'system_not_allowed',
        `messages.${i}.role: this API key (${key.name}) may not send ${role} messages`,
        `messages.${i}.role`,
      );
    }
  }
  const cap = Math.min(key.limits.max_tokens ?? maxTokensLimit, maxTokensLimit);
  if (ask.maxTokens != null && ask.maxTokens > cap) {
    throw new KeyScopeError(
      'max_tokens_exceeded',
      `max_tokens: at most ${cap} for this API key (${key.name}), got ${ask.maxTokens}`,
      'max_tokens',
    );
  }
}
