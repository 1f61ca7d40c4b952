import type { FlywheelAnswerMeta, Usage } from '@flywheel/contracts';
import { DomainError } from '@flywheel/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KeyTicket } from '../auth/key-access.service';
import { recordUsage, settleAfter } from '../auth/key-ticket';
import type { ChainStream } from '../chain/chain-executor';
import { idempotencyKey } from '../idempotency/idempotency-key';
import type { IdempotencyService } from '../idempotency/idempotency.service';
import { sendIdempotent } from '../idempotency/idempotent-reply';
import type { Interaction } from '../interactions/interaction.service';
import { answerHeaders, routedHeaders } from './answer-headers';
import type { CancelSignal } from '../resilience/cancel-signal';
import { clientGone } from './client-abort';
import { type StreamOptions, writeSseStream } from './sse-stream.writer';

/** A stream is not stored for replay: a retried stream with a key is refused rather than run twice. */
const STREAM_WITH_KEY = new DomainError(
  'invalid_request',
  'Idempotency-Key is not supported with stream: true (send the request without the key, or without streaming)',
  { issues: [{ path: 'headers.idempotency-key', message: 'not supported with stream: true' }] },
);

/**
 * The steps of a whole answer: name the interaction, run it, shape its body, and say what the
 * `x-flywheel-*` headers carry (`ownMeta` for a body with its own `flywheel` object).
 */
export interface AnswerSteps<R extends { usage: Usage }, B> {
  begin(): Promise<Interaction>;
  run(interaction: Interaction, signal: CancelSignal): Promise<R>;
  body(interaction: Interaction, result: R): B;
  meta(body: B, interaction: Interaction, result: R): FlywheelAnswerMeta;
}

/** The headers of an answer whose body carries its `flywheel` object (chat, messages, embeddings). */
export const ownMeta = (body: { flywheel: FlywheelAnswerMeta }): FlywheelAnswerMeta => body.flywheel;

/**
 * A whole answer, once per Idempotency-Key: the routed headers as soon as the variant is known
 * (so an error still names it), then the body with the `x-flywheel-*` headers. The API key's
 * limits are applied (`admit`) only when the answer is produced — an idempotent replay is not
 * charged again — and its ticket is charged what the answer used and settled however it ends.
 */
export function sendAnswer<R extends { usage: Usage }, B>(
  idempotency: IdempotencyService,
  req: FastifyRequest,
  reply: FastifyReply,
  endpoint: string,
  admit: () => Promise<KeyTicket>,
  steps: AnswerSteps<R, B>,
): Promise<void> {
  return sendIdempotent(idempotency, req, reply, endpoint, async () => {
    const ticket = await admit();
    return settleAfter(ticket, async () => {
      const interaction = await steps.begin();
      void reply.headers(routedHeaders(interaction));
      const result = await steps.run(interaction, clientGone(reply.raw));
      ticket.used(result.usage);
      const body = steps.body(interaction, result);
      return { status: 200, headers: answerHeaders(steps.meta(body, interaction, result)), body };
    });
  });
}

/**
 * A streamed answer in the given format; refused with an Idempotency-Key (see STREAM_WITH_KEY)
 * before the key's limits are applied (`admit`). The key's ticket is charged the stream's usage
 * and settled when it ends.
 */
export async function sendStream(
  req: FastifyRequest,
  reply: FastifyReply,
  admit: () => Promise<KeyTicket>,
  begin: () => Promise<Interaction>,
  stream: (interaction: Interaction, signal: CancelSignal) => ChainStream,
  options: (interaction: Interaction) => StreamOptions,
): Promise<void> {
  if (idempotencyKey(req.headers) !== undefined) throw STREAM_WITH_KEY;
  const ticket = await admit();
  return settleAfter(ticket, async () => {
    const interaction = await begin();
    const chain = stream(interaction, clientGone(reply.raw));
    await writeSseStream(reply, interaction, chain, options(interaction));
    await recordUsage(ticket, chain.result);
  });
}
