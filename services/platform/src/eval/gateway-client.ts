import {
  type CaseInput,
  type ChatMessage,
  ChatCompletionResponse,
  InvokeResponse,
} from '@flywheel/contracts';
import type { Answer } from './assertions';
import {
  describeFailure,
  errorOf,
  type HttpReply,
  parseBody,
  Service,
  type ServiceOptions,
} from './http-json';
import { UsageError } from './usage-error';

/**
 * The gateway as the eval runner uses it, with the admin token (the one key that may force a
 * variant with `x-flywheel-variant`):
 * - a case with `input.messages` → `POST /v1/chat/completions` `{model: "route:R", messages}`;
 * - a case with `input.vars` → `POST /v1/routes/R/invoke` `{input: vars}`;
 * - the judge → `POST /v1/chat/completions` with a plain model id.
 * The gateway retries and falls back on its own; the runner never retries.
 */

/** The model's output broke the variant's output_schema even after repair: the case fails. */
export class InvalidOutputError extends Error {
  override readonly name = 'InvalidOutputError';
}

/** The call failed for a reason that says nothing about the model's answer: the run is an error. */
export class CallError extends Error {
  override readonly name = 'CallError';
}

export class GatewayClient {
  private readonly gateway: Service;

  constructor(options: ServiceOptions) {
    this.gateway = new Service(options);
  }

  /** One fresh answer of `variant` of `route` to a case's input. */
  async answer(route: string, variant: string, caseId: string, input: CaseInput): Promise<Answer> {
    const headers = { 'x-flywheel-variant': variant };
    const user = `eval-${caseId}`;
    if (input.messages) {
      const reply = await this.post(
        '/v1/chat/completions',
        { model: `route:${route}`, messages: input.messages, user },
        headers,
        { route, variant },
      );
      const body = parseBody(reply, ChatCompletionResponse, 'gateway chat completion');
      return { text: body.choices[0]?.message.content ?? '' };
    }
    if (input.vars) {
      const reply = await this.post(
        `/v1/routes/${encodeURIComponent(route)}/invoke`,
        { input: input.vars, user },
        headers,
        { route, variant },
      );
      const { output } = parseBody(reply, InvokeResponse, 'gateway invoke');
      return typeof output === 'string' ? { text: output } : { text: JSON.stringify(output), json: output };
    }
    throw new CallError('the case input has neither messages nor vars');
  }

  /** A direct model call (the judge): the answer text. */
  async chat(model: string, messages: ChatMessage[]): Promise<string> {
    const reply = await this.post('/v1/chat/completions', {
      model,
      messages,
      temperature: 0,
      user: 'eval-judge',
    });
    return parseBody(reply, ChatCompletionResponse, `judge ${model}`).choices[0]?.message.content ?? '';
  }

  private async post(
    path: string,
    body: unknown,
    headers: Record<string, string> = {},
    target?: { route: string; variant: string },
  ): Promise<HttpReply> {
    const reply = await this.gateway.send('POST', path, { body, headers }).catch((err: Error) => {
      throw new CallError(`no answer from the gateway: ${err.message}`);
    });
    if (reply.status === 200) return reply;
    throw classify(reply, target);
  }
}

/**
 * A refused call → what it means for the run: a setup problem stops the run (UsageError, exit
 * 2); schema-breaking output fails the case; anything else is an error of that run.
 */
function classify(reply: HttpReply, target?: { route: string; variant: string }): Error {
  const error = errorOf(reply);
  const detail = describeFailure(reply);
  switch (reply.status) {
    case 401:
      return new UsageError(`the gateway refused FLYWHEEL_ADMIN_TOKEN (${detail})`);
    case 403:
      return new UsageError(
        `the gateway refused to force the variant: FLYWHEEL_ADMIN_TOKEN must be the gateway's admin token (${detail})`,
      );
    case 404:
      if (error?.type === 'unknown_route' || error?.type === 'unknown_model')
        return new UsageError(`${error.message}${target ? '' : ' (judge model)'}`);
      break;
    case 400:
      // an unknown forced variant is refused while routing, before any case-specific check
      if (target && error?.message.startsWith('x-flywheel-variant')) return new UsageError(error.message);
      break;
    case 502:
      if (error?.type === 'structured_output_invalid') return new InvalidOutputError(detail);
      break;
  }
  return new CallError(detail);
}
