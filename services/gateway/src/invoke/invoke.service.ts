import type { InvokeRequest, InvokeResponse } from '@flywheel/contracts';
import { DomainError, type VariantConfig } from '@flywheel/platform';
import type { ChainExecutor, ChainResult } from '../chain/chain-executor';
import type { Caller } from '../http/caller';
import { clientMessages } from '../interactions/client-messages';
import type { Interaction, InteractionService } from '../interactions/interaction.service';
import type { RouteTable } from '../rollout/route-table';
import type { Assignment, RolloutService } from '../rollout/rollout.service';
import { MAX_INPUT_DEPTH, tooDeepPath } from './input-depth';
import { PromptTemplate } from './prompt-template';

/**
 * `/v1/routes/{route}/invoke` without the HTTP: the route's variant through its flag, its
 * `prompt` filled with `input` (or the caller's messages), and the answer with `output` parsed
 * when the variant has an output_schema. Templates are compiled once, at boot.
 */
export class InvokeService {
  private readonly templates = new Map<VariantConfig, PromptTemplate>();

  constructor(
    private readonly routes: RouteTable,
    private readonly rollout: RolloutService,
    private readonly interactions: InteractionService,
    private readonly executor: Pick<ChainExecutor, 'isEmbedding'>,
  ) {
    for (const { variant } of routes.variants()) {
      if (variant.prompt !== undefined) this.templates.set(variant, new PromptTemplate(variant.prompt));
    }
  }

  async begin(routeName: string, body: InvokeRequest, caller: Caller): Promise<Interaction> {
    const route = this.routes.route(routeName);
    if (!route) throw new DomainError('unknown_route', `no route named "${routeName}"`);
    const assignment = await this.rollout.assign(route, caller);
    if (this.executor.isEmbedding(assignment.chain)) {
      throw new DomainError(
        'invalid_request',
        `route ${routeName} serves embeddings: use POST /v1/embeddings with model "route:${routeName}"`,
      );
    }
    if (body.messages !== undefined) {
      const messages = clientMessages(body.messages, assignment);
      return this.interactions.begin(assignment, caller, { messages, stream: false });
    }
    const input = body.input ?? {};
    const deep = tooDeepPath(input, MAX_INPUT_DEPTH);
    if (deep) {
      const path = ['input', ...deep].join('.');
      throw new DomainError('invalid_request', `${path}: input nests deeper than ${MAX_INPUT_DEPTH} levels`, {
        issues: [{ path, message: `nests deeper than ${MAX_INPUT_DEPTH} levels` }],
      });
    }
    const content = this.render(assignment, input);
    return this.interactions.begin(assignment, caller, {
      messages: [{ role: 'user', content }],
      input,
      stream: false,
    });
  }

  private render(assignment: Assignment, input: Record<string, unknown>): string {
    const where = `route ${assignment.route} (variant ${assignment.variant})`;
    const template = assignment.config && this.templates.get(assignment.config);
    if (!template) {
      throw new DomainError(
        'invalid_request',
        `${where} has no prompt template: send messages instead of input`,
        {
          issues: [{ path: 'input', message: 'this route takes messages' }],
        },
      );
    }
    const rendered = template.render(input);
    if ('missing' in rendered) {
      const issues = rendered.missing.map((name) => ({
        path: `input.${name}`,
        message: `required by the prompt of ${where}`,
      }));
      throw new DomainError('invalid_request', issues.map((i) => `${i.path}: ${i.message}`).join('; '), {
        issues,
      });
    }
    return rendered.text;
  }
}

/** The invoke answer: `output` is the validated JSON value with an output_schema, else the text. */
export function invokeResponse(interaction: Interaction, result: ChainResult): InvokeResponse {
  return {
    interaction_id: interaction.id,
    feedback_token: interaction.feedbackToken,
    route: interaction.assignment.route as string,
    variant: interaction.assignment.variant,
    model: result.final_model,
    output: result.validation.schema ? result.response.json : result.response.text,
    validation: result.validation,
    usage: result.usage,
    latency_ms: result.latency_ms,
  };
}
