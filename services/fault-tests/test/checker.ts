import { randomBytes } from 'node:crypto';
import { Topics } from '@flywheel/contracts';
import { expectEventually } from '@flywheel/platform/testing';
import { type Consumer, Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import { type Ledger, type LedgerFigures, printFigures } from './ledger';

const TOPICS = [Topics.interactions, Topics.feedback, Topics.evalCases, Topics.dlq];
/** A ledger's events are read from this long before it was opened (clock and batching slack). */
const READ_FROM_BEFORE_MS = 10_000;

/** Every event seen on the topics, counted by CloudEvents id (a redelivery repeats the id). */
class WireReader {
  readonly interactions = new Map<string, number>();
  /** by feedback id (the ce_id is `<feedback_id>:<revision>`), then by ce_id */
  readonly feedback = new Map<string, Map<string, number>>();
  /** case id → ce_id → copies of its `created` event */
  readonly caseCreated = new Map<string, Map<string, number>>();
  /** ce_id → reason */
  readonly deadLetters = new Map<string, string>();

  private constructor(private readonly consumer: Consumer) {}

  /**
   * A consumer of its own group reading every topic, until close(), from the first event written
   * at `sinceMs` or later (by the message timestamps, which the producer stamps when it sends: no
   * copy of a ledger's event can be older than the ledger). On the shared broker of a full
   * `npm test` the topics hold every other suite's events too, which it would otherwise read
   * from the beginning at every check.
   */
  static async open(brokers: string, sinceMs: number): Promise<WireReader> {
    const kafka = new Kafka({
      clientId: 'fault-checker',
      brokers: brokers.split(','),
      logLevel: logLevel.NOTHING,
    });
    const groupId = `fault-checker-${randomBytes(6).toString('hex')}`;
    const admin = kafka.admin();
    await admin.connect();
    try {
      for (const topic of TOPICS) {
        const partitions = await admin.fetchTopicOffsetsByTimestamp(topic, sinceMs);
        await admin.setOffsets({ groupId, topic, partitions });
      }
    } finally {
      await admin.disconnect();
    }
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
    const reader = new WireReader(consumer);
    await consumer.connect();
    // a partition without an offset set above (none can be) would start at its beginning
    await consumer.subscribe({ topics: TOPICS, fromBeginning: true });
    await consumer.run({
      partitionsConsumedConcurrently: 4,
      eachMessage: async ({ topic, message }) => {
        const id = message.headers?.ce_id?.toString() ?? '';
        const count = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
        if (topic === Topics.interactions) count(reader.interactions, id);
        else if (topic === Topics.feedback) {
          const feedbackId = id.slice(0, id.lastIndexOf(':'));
          const byId = reader.feedback.get(feedbackId) ?? new Map<string, number>();
          reader.feedback.set(feedbackId, count(byId, id));
        } else if (topic === Topics.evalCases) {
          const data = JSON.parse(message.value?.toString() ?? 'null') as {
            case_id?: string;
            action?: string;
          };
          if (data?.action === 'created' && data.case_id) {
            const byId = reader.caseCreated.get(data.case_id) ?? new Map<string, number>();
            reader.caseCreated.set(data.case_id, count(byId, id));
          }
        } else {
          reader.deadLetters.set(id, message.headers?.flywheel_error?.toString() ?? '');
        }
      },
    });
    return reader;
  }

  close(): Promise<void> {
    return this.consumer.disconnect();
  }
}

/** What the curator's tables hold for a ledger. */
async function readSinks(pool: Pool, ledger: Ledger) {
  const interactionIds = [...ledger.interactions];
  const feedbackIds = [...ledger.votes.keys()];
  const downIds = ledger.downVotes.map((v) => v.feedbackId);
  const [interactions, feedback, links] = await Promise.all([
    pool.query<{ id: string; n: number }>(
      'select interaction_id as id, count(*)::int as n from interactions where interaction_id = any($1) group by 1',
      [interactionIds],
    ),
    pool.query<{ id: string; n: number }>(
      'select feedback_id as id, count(*)::int as n from feedback where feedback_id = any($1) group by 1',
      [feedbackIds],
    ),
    // every down vote of the ledger is on a distinct input: one case each, linked once
    pool.query<{ feedback_id: string; case_id: string; links: number; cases: number }>(
      `select cf.feedback_id, cf.case_id,
              (select count(*)::int from case_feedback x where x.case_id = cf.case_id) as links,
              (select count(*)::int from eval_cases c where c.case_id = cf.case_id) as cases
         from case_feedback cf where cf.feedback_id = any($1)`,
      [downIds],
    ),
  ]);
  return { interactions: interactions.rows, feedback: feedback.rows, links: links.rows };
}

export interface CheckOptions {
  brokers: string;
  /** the curator's database */
  databaseUrl: string;
  /** how long the system may take to deliver everything after the fault healed */
  timeoutMs?: number;
  /** printed with the figures */
  extra?: Record<string, unknown>;
}

/**
 * The independent check after a fault: reads the topics (own consumer group, from 10 s before
 * the ledger was opened) and the curator's database until every answered interaction and vote is on its
 * topic and in its table and every down vote has its eval case (and that case's `created`
 * event), or the timeout passes. Prints the ledger figures, then asserts 0 lost, 0 duplicated
 * at the sinks and nothing of the ledger dead-lettered. Copies of one event on the wire are
 * counted and printed, not failed: delivery is at-least-once.
 */
export async function checkLedger(ledger: Ledger, opts: CheckOptions): Promise<LedgerFigures> {
  const wire = await WireReader.open(opts.brokers, ledger.openedAt - READ_FROM_BEFORE_MS);
  const pool = new Pool({ connectionString: opts.databaseUrl, max: 3 });
  pool.on('error', () => undefined);
  const figures = async (): Promise<LedgerFigures & { missing: string[]; deadLetters: string[] }> => {
    const sinks = await readSinks(pool, ledger);
    const missing: string[] = [];
    let deliveredOnWire = 0;
    let deliveredToSink = 0;
    let wireDuplicates = 0;
    let sinkDuplicates = 0;
    const inInteractions = new Map(sinks.interactions.map((r) => [r.id, r.n]));
    const inFeedback = new Map(sinks.feedback.map((r) => [r.id, r.n]));
    for (const id of ledger.interactions) {
      const copies = wire.interactions.get(id) ?? 0;
      if (copies > 0) deliveredOnWire++;
      wireDuplicates += Math.max(0, copies - 1);
      const rows = inInteractions.get(id) ?? 0;
      if (rows > 0) deliveredToSink++;
      sinkDuplicates += Math.max(0, rows - 1);
      if (copies === 0 || rows === 0) missing.push(`interaction ${id} (wire ${copies}, rows ${rows})`);
    }
    for (const id of ledger.votes.keys()) {
      const events = wire.feedback.get(id);
      const copies = [...(events?.values() ?? [])].reduce((a, b) => a + b, 0);
      if (copies > 0) deliveredOnWire++;
      wireDuplicates += Math.max(0, copies - (events?.size ?? 0));
      const rows = inFeedback.get(id) ?? 0;
      if (rows > 0) deliveredToSink++;
      sinkDuplicates += Math.max(0, rows - 1);
      if (copies === 0 || rows === 0) missing.push(`vote ${id} (wire ${copies}, rows ${rows})`);
    }
    const linked = new Map(sinks.links.map((l) => [l.feedback_id, l]));
    let cases = 0;
    for (const vote of ledger.downVotes) {
      const link = linked.get(vote.feedbackId);
      const created = link ? wire.caseCreated.get(link.case_id) : undefined;
      if (!link || link.cases !== 1 || !created) {
        missing.push(`case of down vote ${vote.feedbackId} (linked ${!!link}, created event ${!!created})`);
        continue;
      }
      cases++;
      // one input, one vote: a second link is a vote counted twice, a second `created` event
      // id is the case announced twice
      sinkDuplicates += link.links - 1 + (created.size - 1);
      wireDuplicates += [...created.values()].reduce((a, b) => a + b, 0) - created.size;
    }
    // only this ledger's events: the topics also hold other suites' events (some poison on
    // purpose); a vote's ce_id is `<feedback_id>:<revision>`
    const ours = (id: string) =>
      ledger.interactions.has(id) || ledger.votes.has(id.slice(0, id.lastIndexOf(':')));
    const deadLetters = [...wire.deadLetters].filter(([id]) => ours(id)).map(([id, why]) => `${id}: ${why}`);
    const deadLettered = deadLetters.length;
    return {
      sent: ledger.sent,
      answered: ledger.answered,
      deliveredOnWire,
      deliveredToSink,
      lost: ledger.answered - Math.min(deliveredOnWire, deliveredToSink),
      wireDuplicates,
      sinkDuplicates,
      cases,
      deadLettered,
      deadLetters,
      missing,
    };
  };
  try {
    await expectEventually(
      async () => {
        const f = await figures();
        expect(f.missing).toEqual([]);
      },
      { timeoutMs: opts.timeoutMs ?? 60_000, intervalMs: 500 },
    ).catch(() => undefined); // the final figures below say what is missing
    const { missing, deadLetters, ...f } = await figures();
    printFigures(ledger, f, opts.extra);
    // which of our events went to the DLQ, and why (the id and the flywheel_error header)
    expect(deadLetters).toEqual([]);
    expect(missing.slice(0, 20)).toEqual([]);
    expect(f.lost).toBe(0);
    expect(f.sinkDuplicates).toBe(0);
    expect(f.deadLettered).toBe(0);
    expect(f.cases).toBe(ledger.downVotes.length);
    return f;
  } finally {
    await Promise.allSettled([wire.close(), pool.end()]);
  }
}
