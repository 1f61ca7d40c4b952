import type { ChatCompletionRequest } from '@flywheel/contracts';
import type { ChainExecutor, ChainVariant } from '../chain/chain-executor';
import type { Caller } from '../http/caller';
import { clientMessages } from '../interactions/client-messages';
import type { Interaction, InteractionService } from '../interactions/interaction.service';
import { assignModel } from '../rollout/assign-model';
import type { RouteTable } from '../rollout/route-table';
import type { Assignment, RolloutService } from '../rollout/rollout.service';
import {
  chainExtras,
  checkRouteFormat,
  directOutputSchema,
  invalidField,
  refusableFields,
} from './chat-request';

/**
 * `/v1/chat/completions` without the HTTP: `model: "route:<name>"` picks the route's variant
 * through its flag; a model id from `models` is a direct one-model chain (the client's
 * `temperature`, `max_tokens` and `response_format` schema apply there; a route's variant sets
 * its own). Tools and the other parameters go to every model of the chain; a parameter one of
 * the chain's providers cannot take is refused with a 400 naming it before any call.
 */
export class ChatService {
  constructor(
    private readonly routes: RouteTable,
    private readonly rollout: RolloutService,
    private readonly interactions: InteractionService,
    private readonly executor: Pick<ChainExecutor, 'refusal' | 'prepare' | 'isEmbedding'>,
  ) {}

  async begin(body: ChatCompletionRequest, caller: Caller): Promise<Interaction> {
    const extras = chainExtras(body);
    let assignment = await this.assign(body, caller);
    if (this.executor.isEmbedding(assignment.chain))
      throw invalidField('model', `"${body.model}" is for embeddings: use POST /v1/embeddings`);
    if (assignment.route === null) {
      const chain = directOutputSchema(body, assignment.chain);
      if (chain !== assignment.chain) this.compile(chain);
      assignment = { ...assignment, chain };
    } else {
      checkRouteFormat(body, assignment.route, assignment.chain);
    }
    const fields = refusableFields(extras);
    // the client's temperature applies only to direct calls (a route's variant sets its own)
    if (assignment.route === null && body.temperature != null) fields.push(['temperature', body.temperature]);
    for (const [field, value] of fields) {
      const refused = this.executor.refusal(assignment.chain, field, value);
      if (refused) throw invalidField(field, `${refused.reason} (model ${refused.model})`);
    }
    const messages = clientMessages(body.messages, assignment);
    return this.interactions.begin(assignment, caller, { ...extras, messages, stream: body.stream === true });
  }
  /** Compiles a direct call's response_format schema now: one that is not a JSON Schema is the client's 400. */
  private compile(chain: ChainVariant): void {
    try {
      this.executor.prepare(chain);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw invalidField('response_format.json_schema.schema', `not a usable JSON Schema: ${reason}`);
    }
  }

  private assign(body: ChatCompletionRequest, caller: Caller): Promise<Assignment> {
    return assignModel(this.routes, this.rollout, body.model, caller, {
      temperature: body.temperature ?? undefined,
      max_tokens: body.max_completion_tokens ?? body.max_tokens ?? undefined,
    });
  }
}
