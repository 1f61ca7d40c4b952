import type { EmbeddingsRequest } from '@flywheel/contracts';
import type { ChainExecutor } from '../chain/chain-executor';
import { invalidField } from '../chat/chat-request';
import type { Caller } from '../http/caller';
import type { Interaction, InteractionService } from '../interactions/interaction.service';
import { assignModel } from '../rollout/assign-model';
import type { RouteTable } from '../rollout/route-table';
import type { RolloutService } from '../rollout/rollout.service';

/**
 * `/v1/embeddings` without the HTTP: the model (an embedding model id, or a route of embedding
 * models) is assigned like a chat request's, then the chain runs with the same breakers,
 * retries and fallback, and the interaction is recorded with kind `embedding` (each input as a
 * user message, so at-source redaction and the size limit apply to it as to chat).
 */
export class EmbeddingsService {
  constructor(
    private readonly routes: RouteTable,
    private readonly rollout: RolloutService,
    private readonly interactions: InteractionService,
    private readonly executor: Pick<ChainExecutor, 'isEmbedding'>,
  ) {}

  async begin(body: EmbeddingsRequest, caller: Caller): Promise<Interaction> {
    const assignment = await assignModel(this.routes, this.rollout, body.model, caller, {});
    if (!this.executor.isEmbedding(assignment.chain))
      throw invalidField('model', `"${body.model}" is not an embedding model: use POST /v1/chat/completions`);
    const input = typeof body.input === 'string' ? [body.input] : body.input;
    const embedding: Interaction['request']['embedding'] = { input };
    if (body.dimensions !== undefined) embedding.dimensions = body.dimensions;
    if (body.user !== undefined) embedding.user = body.user;
    return this.interactions.begin(assignment, caller, {
      messages: input.map((content) => ({ role: 'user' as const, content })),
      stream: false,
      embedding,
    });
  }
}
