import { readFile } from 'node:fs/promises';
import { Logger } from '@nestjs/common';
import { FileChangePoller, type RolloutsConfig, type SqlExecutor } from '@flywheel/platform';
import { FlagdCore } from '@openfeature/flagd-core';
import { percentOf } from '../decision/state-machine';
import type { RolloutStore } from '../rollouts/rollout.store';
import { type FlagdDocument, type PlannedFlag, servedFlags } from './served-flags';

export interface ServedFlagsOptions {
  /** FLAGS_FILE: the hand-written flags merged in */
  flagsFile: string;
  /** route → its flag key (flywheel.yaml `routes.<route>.flag`); a route missing here uses its name */
  flagKeys: Readonly<Record<string, string>>;
  /** how often the stored state is re-read even without a decision here (another replica's, a missed poke) */
  refreshMs?: number;
  /** how often FLAGS_FILE is checked for changes */
  pollIntervalMs?: number;
  logger?: Pick<Logger, 'warn' | 'error'>;
}

/**
 * The flag configuration the controller serves: FLAGS_FILE merged with one split per planned
 * route, derived from the rollout state in the database (never from memory, so a restarted
 * controller serves exactly what it served before). Rebuilt after every decision (`refresh`),
 * when FLAGS_FILE changes and every `refreshMs`; listeners hear of each new configuration.
 * A FLAGS_FILE edit that does not load is logged and ignored (the last good file stays merged).
 */
export class ServedFlagsService {
  private readonly logger: Pick<Logger, 'warn' | 'error'>;
  private readonly poller: FileChangePoller;
  private readonly listeners = new Set<(configuration: string) => void>();
  private file: FlagdDocument = { flags: {} };
  private configuration = '';
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private again = false;
  private closed = false;

  constructor(
    private readonly db: SqlExecutor,
    private readonly plans: RolloutsConfig,
    private readonly store: Pick<RolloutStore, 'get'>,
    private readonly options: ServedFlagsOptions,
  ) {
    this.logger = options.logger ?? new Logger('ServedFlags');
    this.poller = new FileChangePoller(options.flagsFile, options.pollIntervalMs ?? 500, () =>
      this.reloadFile(),
    );
  }

  /** Loads FLAGS_FILE (rejects naming it when it does not load) and builds the first configuration. */
  async start(): Promise<void> {
    await this.poller.prime();
    try {
      this.file = await loadFlagFile(this.options.flagsFile);
    } catch (err) {
      throw new Error(`flags: cannot load ${this.options.flagsFile}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    await this.rebuild();
    this.poller.start();
    this.timer = setInterval(() => void this.refresh(), this.options.refreshMs ?? 1_000);
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.poller.close();
    clearInterval(this.timer);
    await this.refreshing;
  }

  /** The current flagd JSON document. */
  current(): string {
    return this.configuration;
  }

  /** Called with every new configuration (not with an unchanged one). */
  onChange(listener: (configuration: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Rebuilds from the stored state; serialized: a call during a rebuild runs one more afterwards. */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.again = false;
        try {
          await this.rebuild();
        } catch (err) {
          this.logger.error(
            `cannot rebuild the served flags, keeping the last ones: ${(err as Error).message}`,
          );
        }
      } while (this.again && !this.closed);
    })().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async rebuild(): Promise<void> {
    const planned: PlannedFlag[] = [];
    for (const [route, plan] of Object.entries(this.plans)) {
      const stored = await this.store.get(this.db, route);
      planned.push({
        route,
        flagKey: this.options.flagKeys[route] ?? route,
        control: plan.control,
        candidate: plan.candidate,
        // a route without a state row yet (before init) is pending: control for everyone
        percent: stored ? percentOf(plan, stored.position) : 0,
        status: stored?.position.status ?? 'pending',
      });
    }
    const next = JSON.stringify(servedFlags(this.file, planned));
    if (next === this.configuration) return;
    validate(next);
    this.configuration = next;
    for (const listener of this.listeners) listener(next);
  }

  private async reloadFile(): Promise<void> {
    try {
      this.file = await loadFlagFile(this.options.flagsFile);
    } catch (err) {
      this.logger.warn(
        `${this.options.flagsFile} changed but cannot be loaded (${(err as Error).message}); keeping the previous flags`,
      );
      return;
    }
    await this.refresh();
  }
}

/** Reads and checks a flagd flag file the way flagd itself would load it. */
async function loadFlagFile(path: string): Promise<FlagdDocument> {
  const text = await readFile(path, 'utf8');
  validate(text);
  return JSON.parse(text) as FlagdDocument;
}

/** Throws when flagd would refuse the configuration (invalid JSON, a defaultVariant not among the variants…). */
function validate(configuration: string): void {
  const quiet = {
    error: () => undefined,
    warn: () => undefined,
    info: () => undefined,
    debug: () => undefined,
  };
  new FlagdCore(undefined, quiet).setConfigurations(configuration);
}
