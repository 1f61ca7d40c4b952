import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { KafkaConfig, Producer, ProducerConfig } from 'kafkajs';

/** The producers a bus has: the relay's (idempotent, ordered) and the dead-letter one. */
export type ProducerName = 'relay' | 'dlq';

/** What of a producer the relay and DeadLetters use. */
export type ThreadProducer = Pick<Producer, 'send' | 'sendBatch'>;

/**
 * A kafkajs client config of plain data only, as it crosses to the worker by structured clone:
 * no logCreator, socketFactory, brokers function or SASL provider (the worker adds its logger).
 */
export type PlainClientConfig = Pick<
  KafkaConfig,
  'clientId' | 'ssl' | 'sasl' | 'connectionTimeout' | 'requestTimeout' | 'retry'
> & { brokers: string[] };

export interface ProducerThreadOptions {
  client: PlainClientConfig;
  /** each producer's options; the worker adds the key partitioner (partition-key.cjs) */
  producers: Record<ProducerName, Omit<ProducerConfig, 'createPartitioner'>>;
  /** a kafkajs error log line from the worker */
  onLog(namespace: string, message: string): void;
  /** the worker died (uncaught error, out of memory, terminated); the next request starts a new one */
  onExit(reason: string): void;
}

/** A kafkajs error as the worker sends it (kafka-producer.worker.cjs `serializeError`). */
interface SerializedError {
  name: string;
  message: string;
  type?: string;
  code?: number | string;
  retriable?: boolean;
  stack?: string;
  cause?: SerializedError;
  errors?: SerializedError[];
}

/** What the worker posts: its own file, so the shape is trusted rather than parsed. */
type WorkerReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: SerializedError }
  | { op: 'log'; namespace: string; message: string };

const WORKER_FILE = join(__dirname, 'kafka-producer.worker.cjs');

/**
 * The bus's Kafka producers, run in a worker thread (kafka-producer.worker.cjs) so kafkajs's
 * per-record encoding garbage and CPU stay off the main thread, which only posts the records
 * (plain strings, already encoded as CloudEvents by the spool) and awaits the answer.
 *
 * If the worker dies, every request in flight fails with a retriable error (the relay then sends
 * the same batch again from the spool's head: nothing is lost or reordered, a batch Kafka already
 * had may arrive twice, which at-least-once allows) and the next request starts a new worker.
 */
export class ProducerThread {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private nextId = 0;
  private started = 0;
  private closed = false;

  constructor(private readonly options: ProducerThreadOptions) {}

  /** A producer whose sends run in the worker. */
  producer(name: ProducerName): ThreadProducer {
    return {
      sendBatch: (batch) => this.request({ op: 'sendBatch', producer: name, record: batch }),
      send: (record) => this.request({ op: 'send', producer: name, record }),
    };
  }

  /** Drops (disconnects) a producer in the worker; the next send connects a new one. */
  async reset(name: ProducerName): Promise<void> {
    if (this.worker) await this.request({ op: 'reset', producer: name }).catch(() => undefined);
  }

  /** How many workers were started (1 + restarts). */
  get starts(): number {
    return this.started;
  }

  /** Disconnects the producers and ends the worker. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    if (!worker) return;
    // a worker that does not answer (wedged connection) is ended anyway after 5 s
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.request({ op: 'close' }).catch(() => undefined),
      new Promise((r) => (timer = setTimeout(r, 5_000))),
    ]);
    clearTimeout(timer);
    await worker.terminate();
  }

  /**
   * Fault injection for tests: ends the worker as a crash would, `terminate` from outside (as an
   * out-of-memory kill) or `crash` by an uncaught error inside it.
   */
  async kill(how: 'terminate' | 'crash'): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise((r) => worker.once('exit', r));
    if (how === 'terminate') await worker.terminate();
    else worker.postMessage({ op: 'crash' });
    await exited;
  }

  private request<T>(message: Record<string, unknown>): Promise<T> {
    if (this.closed && message.op !== 'close')
      return Promise.reject(new Error('the Kafka producer worker is closed'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      // inside the promise: a failure to start the worker or to clone the message rejects it
      const worker = this.worker ?? this.start();
      worker.postMessage({ ...message, id });
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    });
  }

  private start(): Worker {
    const worker = new Worker(WORKER_FILE, {
      workerData: { client: this.options.client, producers: this.options.producers },
      // a plain CommonJS file: no tsx loader or other hooks of the main thread needed
      execArgv: [],
      // The worker holds at most one batch (≤ 4 MiB) and its encoding. A small young generation: its
      // garbage is short-lived (~27 KB per event, dead once the request is written), and V8's default
      // young generation added ~40 MiB to the process's peak RSS, 8 MiB ~10 MiB (bench:relay-thread,
      // 1,000 events/s), at the same CPU. Past the old-space limit the worker is ended and restarted
      // (an out-of-memory in a worker ends only the worker).
      resourceLimits: { maxOldGenerationSizeMb: 128, maxYoungGenerationSizeMb: 8 },
    });
    this.worker = worker;
    this.started++;
    let failure: Error | null = null;
    worker.on('message', (reply: WorkerReply) => this.onReply(reply));
    worker.on('error', (err) => (failure = err));
    worker.on('exit', (code) => {
      if (this.worker === worker) this.worker = null;
      const reason = failure ? `${failure.name}: ${failure.message}` : `exit code ${code}`;
      const died = Object.assign(new Error(`the Kafka producer worker exited (${reason})`), {
        name: 'KafkaProducerWorkerExited',
        retriable: true,
      });
      for (const p of this.pending.values()) p.reject(died);
      this.pending.clear();
      if (!this.closed) this.options.onExit(reason);
    });
    return worker;
  }

  private onReply(reply: WorkerReply): void {
    if ('op' in reply) {
      this.options.onLog(reply.namespace, reply.message);
      return;
    }
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if (reply.ok) p.resolve(reply.result);
    else p.reject(reviveError(reply.error));
  }
}

/** An Error with what the relay inspects of a kafkajs error (refusalOf: type, cause, errors). */
export function reviveError(e: SerializedError): Error {
  const err = Object.assign(new Error(e.message), {
    name: e.name,
    ...(e.type !== undefined ? { type: e.type } : {}),
    ...(e.code !== undefined ? { code: e.code } : {}),
    ...(e.retriable !== undefined ? { retriable: e.retriable } : {}),
    ...(e.errors ? { errors: e.errors.map(reviveError) } : {}),
  });
  if (e.stack !== undefined) err.stack = e.stack;
  if (e.cause) err.cause = reviveError(e.cause);
  return err;
}
