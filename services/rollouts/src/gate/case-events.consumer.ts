import { Topics } from '@flywheel/contracts';
import { type EventBus, type IncomingEvent, type Subscription } from '@flywheel/platform';
import type { GateService } from './gate.service';

/**
 * The controller's own consumer group on `flywheel.eval-cases.v1` (the curator's case changes,
 * published through its outbox after the commit): a case of a planned route accepted (also
 * re-accepted with new assertions) or rejected owes that rollout a new gate run. Offsets are
 * committed after the request is stored; a redelivered event at most owes one more run.
 */
export class CaseEventsConsumer {
  private subscription: Subscription | null = null;

  constructor(
    private readonly bus: EventBus,
    private readonly gates: GateService,
    private readonly group: string,
  ) {}

  async start(): Promise<void> {
    this.subscription = await this.bus.subscribe({
      group: this.group,
      topics: [Topics.evalCases],
      handler: (event) => this.handle(event),
    });
  }

  async handle(event: IncomingEvent): Promise<void> {
    if (event.type !== 'dev.flywheel.eval-case.v1') return;
    const { action, case_id, route } = event.data;
    if (action !== 'accepted' && action !== 'rejected') return;
    await this.gates.casesChanged(route, `case ${case_id} ${action}`);
  }

  async stop(): Promise<void> {
    const subscription = this.subscription;
    this.subscription = null;
    await subscription?.stop();
  }
}
