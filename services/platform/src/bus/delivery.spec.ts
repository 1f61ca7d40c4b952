import { sampleFeedback } from '../testing/bus-contract';
import { encodeEvent } from './cloud-event';
import { deliverBatch, type RawMessage } from './delivery';
import { UnrecoverableError } from './errors';
import type { IncomingEvent } from './event-bus';

function message(offset: number, valid = true): RawMessage {
  const enc = encodeEvent(
    { type: 'dev.flywheel.feedback.v1', key: `k${offset}`, data: sampleFeedback(`fb-${offset}`) },
    'delivery-test',
  );
  return {
    topic: enc.topic,
    partition: 0,
    offset: String(offset),
    key: enc.key,
    headers: enc.headers,
    value: valid ? enc.value : '{"not":"a feedback event"}',
  };
}

const options = { maxAttempts: 2, retryBaseMs: 1, stopped: () => false };
const interactionOf = (e: IncomingEvent) =>
  e.type === 'dev.flywheel.feedback.v1' ? e.data.interaction_id : e.id;

describe('deliverBatch', () => {
  it('hands the valid events to the batch handler at once, in order, and dead-letters the invalid one', async () => {
    const batches: string[][] = [];
    const single = jest.fn(async () => undefined);
    const outcomes = await deliverBatch(
      [message(1), message(2, false), message(3)],
      single,
      async (events) => void batches.push(events.map(interactionOf)),
      options,
    );
    expect(batches).toEqual([['fb-1', 'fb-3']]);
    expect(single).not.toHaveBeenCalled();
    expect(outcomes.map((o) => o.kind)).toEqual(['handled', 'dead', 'handled']);
    expect(outcomes[1]).toMatchObject({ reason: expect.stringMatching(/^invalid_event: /) });
  });

  it('after a failed batch, delivers each event alone: the bad one goes to the DLQ, the others are handled', async () => {
    const handled: string[] = [];
    const outcomes = await deliverBatch(
      [message(1), message(2), message(3)],
      async (e) => {
        if (interactionOf(e) === 'fb-2') throw new UnrecoverableError('refused');
        handled.push(interactionOf(e));
      },
      async () => {
        throw new Error('one event in the batch is bad');
      },
      options,
    );
    expect(handled).toEqual(['fb-1', 'fb-3']);
    expect(outcomes).toEqual([
      { kind: 'handled' },
      { kind: 'dead', reason: 'unrecoverable: refused' },
      { kind: 'handled' },
    ]);
  });

  it('stops where the subscription stopped: the rest is not delivered (its offsets stay uncommitted)', async () => {
    let stopped = false;
    const outcomes = await deliverBatch(
      [message(1), message(2), message(3)],
      async (e) => {
        if (interactionOf(e) === 'fb-2') stopped = true;
      },
      async () => {
        throw new Error('batch failed');
      },
      { ...options, stopped: () => stopped },
    );
    expect(outcomes.map((o) => o.kind)).toEqual(['handled', 'handled', 'stopped']);
  });
});
