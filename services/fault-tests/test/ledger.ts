/**
 * What the clients were told. Every request sent is counted; every request answered with a
 * success (200 from the gateway, 202 from feedback) is recorded with the id it carried: those
 * are the promises the checker holds the system to. Refusals are counted by status (and a
 * 503 without Retry-After separately), transport failures (a killed process) by kind.
 */
export interface AnsweredVote {
  feedbackId: string;
  interactionId: string;
  rating: 'up' | 'down';
}

export class Ledger {
  /** interaction ids the gateway answered 200 with */
  readonly interactions = new Set<string>();
  /** votes feedback answered 202 for, by feedback id */
  readonly votes = new Map<string, AnsweredVote>();
  sent = 0;
  /** status (or 'network') → how many */
  readonly refused = new Map<string, number>();
  /** 503s that came without a Retry-After header */
  unavailableWithoutRetryAfter = 0;

  /** when the ledger was opened (epoch ms): none of its events can be older */
  readonly openedAt = Date.now();

  constructor(readonly name: string) {}

  get answered(): number {
    return this.interactions.size + this.votes.size;
  }

  get downVotes(): AnsweredVote[] {
    return [...this.votes.values()].filter((v) => v.rating === 'down');
  }

  refuse(status: number | 'network'): void {
    const key = String(status);
    this.refused.set(key, (this.refused.get(key) ?? 0) + 1);
  }

  refusedWith(status: number): number {
    return this.refused.get(String(status)) ?? 0;
  }
}

/** What the independent checker found for a ledger. */
export interface LedgerFigures {
  sent: number;
  answered: number;
  /** answered interactions and votes found on their topics */
  deliveredOnWire: number;
  /** answered interactions and votes found in the curator's tables */
  deliveredToSink: number;
  lost: number;
  /** extra copies of an answered event on the wire (allowed: at-least-once) */
  wireDuplicates: number;
  /** extra rows for one event in a sink, or an extra case for one down vote (never allowed) */
  sinkDuplicates: number;
  /** down votes whose eval case is in the database and whose `created` event is on its topic */
  cases: number;
  deadLettered: number;
}

export function printFigures(ledger: Ledger, f: LedgerFigures, extra: Record<string, unknown> = {}): void {
  const refused = Object.fromEntries(ledger.refused);
  console.log(
    `[ledger] ${ledger.name}: sent=${f.sent} answered=${f.answered} ` +
      `(interactions=${ledger.interactions.size} votes=${ledger.votes.size}) ` +
      `delivered: wire=${f.deliveredOnWire} sinks=${f.deliveredToSink} lost=${f.lost} ` +
      `duplicates: wire=${f.wireDuplicates} sinks=${f.sinkDuplicates} cases=${f.cases} ` +
      `dlq=${f.deadLettered} refused=${JSON.stringify(refused)}` +
      (Object.keys(extra).length > 0 ? ` ${JSON.stringify(extra)}` : ''),
  );
}
