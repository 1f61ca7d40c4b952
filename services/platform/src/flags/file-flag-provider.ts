import { readFile } from 'node:fs/promises';
import type { FlagdCore } from '@openfeature/flagd-core';
import { ProviderEvents, ProviderNotReadyError } from '@openfeature/server-sdk';
import { DelegatingProvider, flagdCore } from './delegating-provider';
import { FileChangePoller } from './file-change-poller';

export interface FileFlagProviderOptions {
  /** how often the file is checked for changes (default 500 ms) */
  pollIntervalMs?: number;
  logger?: Pick<Console, 'warn'>;
}

/**
 * flagd's evaluator (`@openfeature/flagd-core`, what flagd's in-process provider runs) on a flag
 * file, reloaded quickly: the file is polled (500 ms by default) and, on a change, read into a
 * fresh evaluator that is swapped in once it has parsed the file, so evaluations never see a
 * half-loaded state, and a broken edit (invalid JSON, a defaultVariant missing from variants) is
 * logged and ignored, the last good flags staying in force. Evaluation is synchronous underneath
 * (`resolver()`, FlagService's fast path).
 *
 * Not `@openfeature/flagd-provider`'s file mode: it watches with `fs.watchFile` at a fixed 5 s
 * interval, and it loads gRPC and protobufjs (~100 modules, ~13 MB) for its remote modes, which
 * a service evaluating a local file never uses.
 */
export class FileFlagProvider extends DelegatingProvider {
  readonly metadata = { name: 'flagd-file' } as const;

  private current: FlagdCore | undefined;
  private readonly poller: FileChangePoller;
  private readonly logger: Pick<Console, 'warn'>;
  private reloading: Promise<void> | undefined;
  private reloadAgain = false;
  private closing: Promise<void> | undefined;

  constructor(
    readonly path: string,
    { pollIntervalMs = 500, logger = console }: FileFlagProviderOptions = {},
  ) {
    super();
    this.logger = logger;
    this.poller = new FileChangePoller(path, pollIntervalMs, () => this.reload());
  }

  async initialize(): Promise<void> {
    await this.poller.prime();
    this.current = await this.open();
    this.poller.start();
  }

  onClose(): Promise<void> {
    this.closing ??= (async () => {
      this.poller.close();
      await this.reloading;
      this.current = undefined;
    })();
    return this.closing;
  }

  resolver(): FlagdCore {
    if (!this.current) throw new ProviderNotReadyError(`flags from ${this.path} are not loaded`);
    return this.current;
  }

  private async open(): Promise<FlagdCore> {
    const core = flagdCore(this.logger);
    core.setConfigurations(await readFile(this.path, 'utf8'));
    return core;
  }

  /** Serialized: a change during a reload triggers one more reload afterwards. */
  private reload(): Promise<void> {
    if (this.reloading) {
      this.reloadAgain = true;
      return this.reloading;
    }
    this.reloading = (async () => {
      do {
        this.reloadAgain = false;
        await this.swap();
      } while (this.reloadAgain && !this.closing);
    })().finally(() => {
      this.reloading = undefined;
    });
    return this.reloading;
  }

  private async swap(): Promise<void> {
    let next: FlagdCore;
    try {
      next = await this.open();
    } catch (err) {
      this.logger.warn(
        `flags: ${this.path} changed but cannot be loaded (${(err as Error).message}); keeping the previous flags`,
      );
      return;
    }
    if (this.closing) return;
    this.current = next;
    this.events.emit(ProviderEvents.ConfigurationChanged, {});
  }
}
