import { createServer } from 'node:net';
import { ProducerThread, reviveError } from './kafka-producer-thread';

/** A port nothing listens on: taken, then released. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

const batch = {
  acks: -1,
  topicMessages: [{ topic: 'flywheel.feedback.v1', messages: [{ key: 'k', value: '{"n":1}' }] }],
};

describe('ProducerThread (the worker, against a broker that is not there)', () => {
  let thread: ProducerThread | undefined;
  afterEach(() => thread?.close());

  async function start() {
    const logs: string[] = [];
    const exits: string[] = [];
    const port = await deadPort();
    const t = new ProducerThread({
      client: {
        clientId: 'thread-spec',
        brokers: [`127.0.0.1:${port}`],
        connectionTimeout: 500,
        retry: { retries: 1, initialRetryTime: 50, maxRetryTime: 100 },
      },
      producers: { relay: { idempotent: true, maxInFlightRequests: 1 }, dlq: {} },
      onLog: (namespace, message) => logs.push(`${namespace}: ${message}`),
      onExit: (reason) => exits.push(reason),
    });
    thread = t;
    return { thread: t, logs, exits };
  }

  it("fails a send with kafkajs's error (name, message, retriable) and forwards kafkajs's log lines", async () => {
    const { thread, logs } = await start();
    const err = (await thread
      .producer('relay')
      .sendBatch(batch)
      .catch((e: unknown) => e)) as Error & { retriable?: boolean };
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toMatch(/^KafkaJS/);
    expect(err.message).toMatch(/ECONNREFUSED|Connection/);
    expect(typeof err.retriable).toBe('boolean');
    expect(logs.some((l) => /ECONNREFUSED|Connection/.test(l))).toBe(true);
  }, 30_000);

  it('a worker killed mid-send fails that send as retriable, reports the death, and the next send starts a new worker', async () => {
    const { thread, exits } = await start();
    const pending = thread
      .producer('relay')
      .sendBatch(batch)
      .catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100)); // the worker is up and connecting
    await thread.kill('crash');
    const err = (await pending) as Error & { retriable?: boolean };
    expect(err.name).toBe('KafkaProducerWorkerExited');
    expect(err.message).toContain('injected crash');
    expect(err.retriable).toBe(true);
    expect(exits).toEqual(['Error: kafka producer worker: injected crash']);
    await thread
      .producer('dlq')
      .send({ topic: 'flywheel.dlq.v1', messages: [{ value: 'x' }] })
      .catch(() => undefined);
    expect(thread.starts).toBe(2);
  }, 30_000);
});

describe('reviveError', () => {
  it('keeps what refusalOf and the logs read, through cause and errors', () => {
    const err = reviveError({
      name: 'KafkaJSNonRetriableError',
      message: 'outer',
      retriable: false,
      cause: { name: 'KafkaJSProtocolError', message: 'too large', type: 'MESSAGE_TOO_LARGE', code: 10 },
      errors: [{ name: 'KafkaJSProtocolError', message: 'x', type: 'INVALID_RECORD' }],
    });
    expect(String(err)).toBe('KafkaJSNonRetriableError: outer');
    expect(err.cause).toMatchObject({ name: 'KafkaJSProtocolError', type: 'MESSAGE_TOO_LARGE', code: 10 });
    expect((err as Error & { errors: unknown[] }).errors[0]).toMatchObject({ type: 'INVALID_RECORD' });
  });
});
