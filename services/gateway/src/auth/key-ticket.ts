import type { Usage } from '@flywheel/contracts';
import { GatewayError } from '../chain/gateway-error';
import type { KeyTicket } from './key-access.service';

/** Records what a failed request used: a chain failure knows its usage, anything earlier used none. */
function recordFailure(ticket: KeyTicket, err: unknown): void {
  if (err instanceof GatewayError) ticket.used(err.outcome.usage);
}

/** Runs an admitted request and settles its ticket afterwards, however it ends. */
export async function settleAfter<T>(ticket: KeyTicket, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    recordFailure(ticket, err);
    throw err;
  } finally {
    await ticket.settle();
  }
}

/** Records the usage of a stream's result (which a stream writer has already consumed). */
export function recordUsage(ticket: KeyTicket, result: Promise<{ usage: Usage }>): Promise<void> {
  return result.then(
    (r) => ticket.used(r.usage),
    (err: unknown) => recordFailure(ticket, err),
  );
}
