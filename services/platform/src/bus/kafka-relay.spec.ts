import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Producer, ProducerBatch } from 'kafkajs';
import { Counter, Registry } from 'prom-client';
import { systemClock } from '../clock';
import { expectEventually } from '../testing/expect-eventually';
import type { EncodedEvent } from './cloud-event';
import { DeadLetters } from './kafka-dlq';
import { KafkaRelay, refusalOf, type RelayTransport } from './kafka-relay';
import { Spool } from './spool';

const ev = (n: number, value = `{"n":${n}}`): EncodedEvent => ({
  topic: 'flywheel.feedback.v1',
  key: `k${n % 3}`,
  headers: { ce_id: `id-${n}`, ce_type: 'dev.flywheel.feedback.v1' },
  value,
});

/** A broker stand-in: refuses a record whose value contains "poison", fails `transient` sends first. */
function fakeBroker(opts: { transient?: number; dlqRefuses?: boolean; limit?: number } = {}) {
  const delivered: string[] = [];
  const dlq: string[] = [];
  const batchBytes: number[] = [];
  let transient = opts.transient ?? 0;
  const producer = {
    sendBatch: async (batch: ProducerBatch) => {
      const messages = (batch.topicMessages ?? []).flatMap((t) => t.messages);
      if (transient-- > 0)
        throw Object.assign(new Error('Connection error: ECONNREFUSED'), { retriable: true });
      if (messages.some((m) => String(m.value).includes('poison'))) {
        throw Object.assign(
          new Error('This record has failed the validation on broker and hence will be rejected'),
          {
            cause: { type: 'INVALID_RECORD', retriable: false },
          },
        );
      }
      batchBytes.push(messages.reduce((n, m) => n + String(m.value).length, 0));
      delivered.push(...messages.map((m) => String((m.headers as Record<string, string>).ce_id)));
      return [];
    },
    send: async (record: { messages: { headers?: Record<string, string> }[] }) => {
      if (opts.dlqRefuses) throw new Error('DLQ refused');
      dlq.push(...record.messages.map((m) => String(m.headers?.ce_id)));
      return [];
    },
  } as unknown as Producer; // only the two methods the relay and DeadLetters call
  const transport: RelayTransport = {
    producer: async () => producer,
    resetProducer: async () => undefined,
    ensureTopics: async () => undefined,
    withAdmin: async () => {
      throw new Error('no admin in this test: the limit comes from maxMessageBytes');
    },
  };
  return { producer, transport, delivered, dlq, batchBytes };
}

describe('KafkaRelay (with a stand-in broker)', () => {
  let dir: string;
  let spool: Spool;
  let relay: KafkaRelay | undefined;
  const counter = () =>
    new Counter({
      name: 'dead',
      help: 'x',
      labelNames: ['reason', 'destination'],
      registers: [new Registry()],
    });
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'relay-spec-'));
    spool = await Spool.open({ dir });
  });
  afterEach(async () => {
    await relay?.stop();
    await spool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function startRelay(broker: ReturnType<typeof fakeBroker>, maxMessageBytes = 1_000_000) {
    const deadLetters = new DeadLetters(
      async () => broker.producer,
      join(dir, 'dead-letters.jsonl'),
      'test',
      systemClock,
    );
    relay = new KafkaRelay(spool, broker.transport, deadLetters, counter(), systemClock, {
      maxMessageBytes,
      lingerMs: 1,
    });
    relay.start();
    return relay;
  }

  it('moves a refused event out of the way and delivers the rest in order; the DLQ refusing too → the file', async () => {
    const broker = fakeBroker({ dlqRefuses: true });
    const r = startRelay(broker);
    for (let i = 0; i < 20; i++) await spool.append(ev(i, i === 7 ? '{"poison":true}' : `{"n":${i}}`));
    await expectEventually(() => expect(spool.depth).toBe(0), { timeoutMs: 10_000 });
    expect(broker.delivered).toEqual(
      Array.from({ length: 20 }, (_, i) => `id-${i}`).filter((id) => id !== 'id-7'),
    );
    expect(r.deadLetteredTotal).toBe(1);
    const file = readFileSync(join(dir, 'dead-letters.jsonl'), 'utf8').trim().split('\n');
    expect(file).toHaveLength(1);
    expect(JSON.parse(file[0]!)).toMatchObject({ headers: { ce_id: 'id-7' }, value: '{"poison":true}' });
    expect(JSON.parse(file[0]!).reason).toMatch(/^invalid_record: .*DLQ topic refused it too/);
  });

  it('keeps every batch under the byte limit and sends an oversized event to the DLQ as a reference', async () => {
    const broker = fakeBroker();
    const r = startRelay(broker, 50_000);
    const pad = 'x'.repeat(10_000);
    for (let i = 0; i < 30; i++)
      await spool.append(ev(i, i === 12 ? `{"big":"${'y'.repeat(60_000)}"}` : `{"p":"${pad}"}`));
    await expectEventually(() => expect(spool.depth).toBe(0), { timeoutMs: 10_000 });
    expect(broker.delivered).toHaveLength(29);
    expect(Math.max(...broker.batchBytes)).toBeLessThan(50_000);
    expect(broker.batchBytes.length).toBeGreaterThanOrEqual(6);
    expect(broker.dlq).toEqual(['id-12']);
    expect(r.deadLetteredTotal).toBe(1);
  });

  it('retries transient failures from the same head without losing or reordering anything', async () => {
    const broker = fakeBroker({ transient: 3 });
    const r = startRelay(broker);
    for (let i = 0; i < 50; i++) await spool.append(ev(i));
    await expectEventually(() => expect(spool.depth).toBe(0), { timeoutMs: 20_000 });
    expect(broker.delivered).toEqual(Array.from({ length: 50 }, (_, i) => `id-${i}`));
    expect(r.deadLetteredTotal).toBe(0);
  });
});

describe('refusalOf', () => {
  it('finds a permanent refusal however kafkajs wraps it, and nothing in a transient error', () => {
    expect(refusalOf({ type: 'MESSAGE_TOO_LARGE' })).toBe('MESSAGE_TOO_LARGE');
    expect(refusalOf({ name: 'KafkaJSNonRetriableError', cause: { type: 'INVALID_TOPIC_EXCEPTION' } })).toBe(
      'INVALID_TOPIC_EXCEPTION',
    );
    expect(
      refusalOf({ errors: [{ type: 'LEADER_NOT_AVAILABLE' }, { cause: { type: 'RECORD_LIST_TOO_LARGE' } }] }),
    ).toBe('RECORD_LIST_TOO_LARGE');
    expect(refusalOf({ type: 'NOT_LEADER_FOR_PARTITION' })).toBeNull();
    expect(refusalOf(new Error('Connection error'))).toBeNull();
  });
});
