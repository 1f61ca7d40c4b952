'use strict';
/**
 * The Kafka producers of one KafkaEventBus, in a worker thread (kafka-producer-thread.ts starts
 * it): kafkajs builds and encodes every produce request here (a Long object per field, an Encoder
 * per record and header: ~30 KB of garbage per event) and does the network I/O, off the thread
 * that answers HTTP requests. The relay's batching, acknowledgements and dead-letter decisions stay
 * on the main thread, next to the spool; this file only sends what it is given and answers.
 *
 * Plain CommonJS, not TypeScript: a worker thread loads its file with plain `node`, and this one
 * must run the same under jest (which transpiles only the modules it loads itself), tsx and the
 * esbuild bundle (which locates it through `__dirname`, the source folder).
 *
 * Protocol (structured clone, plain data only):
 *   workerData  { client: kafkajs client config without functions, producers: { relay, dlq } options }
 *   → worker    { id, op: 'sendBatch' | 'send', producer: 'relay' | 'dlq', record }
 *               { id, op: 'reset', producer }  drop (disconnect) that producer; the next send makes a new one
 *               { id, op: 'close' }            disconnect every producer
 *               { op: 'crash' }                an uncaught error (fault injection for tests)
 *   ← main      { id, ok: true, result } | { id, ok: false, error }   error: see serializeError
 *               { op: 'log', namespace, message }                     kafkajs's error log lines
 */
const { parentPort, workerData } = require('node:worker_threads');
const { Kafka, logLevel, Partitioners } = require('kafkajs');
const { keyPartitioner } = require('./partition-key.cjs');

const kafka = new Kafka({
  ...workerData.client,
  logLevel: logLevel.ERROR,
  // a logCreator cannot cross the thread boundary: lines go to the main thread's (throttled) logger
  logCreator: () => (entry) =>
    parentPort.postMessage({ op: 'log', namespace: entry.namespace, message: entry.log.message }),
});

/** name → Promise<Producer>, connected once and shared by concurrent sends */
const producers = new Map();

function producer(name) {
  let p = producers.get(name);
  if (!p) {
    p = (async () => {
      const created = kafka.producer({
        ...workerData.producers[name],
        // the partitioner the embedded bus and the consumers assume (partition-key.cjs)
        createPartitioner: keyPartitioner(Partitioners.DefaultPartitioner),
      });
      await created.connect();
      return created;
    })();
    producers.set(name, p);
    // a failed connect is not cached: the next send tries again
    p.catch(() => producers.get(name) === p && producers.delete(name));
  }
  return p;
}

async function disconnect(name) {
  const p = producers.get(name);
  producers.delete(name);
  if (!p) return;
  await p.then((created) => created.disconnect()).catch(() => undefined);
}

/**
 * What the relay and DeadLetters inspect of a kafkajs error (name, message, type, retriable, code,
 * and the same of what it wraps: `cause`, `errors` of a KafkaJSAggregateError): a kafkajs error is
 * a class instance, which structured clone would reduce to name and message.
 */
function serializeError(err, depth = 0) {
  if (!err || typeof err !== 'object') return { name: 'Error', message: String(err) };
  const out = { name: String(err.name ?? 'Error'), message: String(err.message ?? err) };
  for (const k of ['type', 'code', 'retriable', 'stack'])
    if (['string', 'number', 'boolean'].includes(typeof err[k])) out[k] = err[k];
  if (depth < 5) {
    if (err.cause && err.cause !== err) out.cause = serializeError(err.cause, depth + 1);
    if (Array.isArray(err.errors)) out.errors = err.errors.map((e) => serializeError(e, depth + 1));
  }
  return out;
}

async function handle(msg) {
  switch (msg.op) {
    case 'sendBatch':
      return (await producer(msg.producer)).sendBatch(msg.record);
    case 'send':
      return (await producer(msg.producer)).send(msg.record);
    case 'reset':
      return disconnect(msg.producer);
    case 'close':
      await Promise.all([...producers.keys()].map(disconnect));
      return undefined;
    default:
      throw new Error(`kafka producer worker: unknown op ${String(msg.op)}`);
  }
}

parentPort.on('message', (msg) => {
  if (msg.op === 'crash') {
    setImmediate(() => {
      throw new Error('kafka producer worker: injected crash');
    });
    return;
  }
  handle(msg).then(
    (result) => parentPort.postMessage({ id: msg.id, ok: true, result }),
    (err) => parentPort.postMessage({ id: msg.id, ok: false, error: serializeError(err) }),
  );
});
