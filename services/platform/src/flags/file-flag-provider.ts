import { FlagdProvider } from '@openfeature/flagd-provider';
import { ProviderEvents, ProviderNotReadyError } from '@openfeature/server-sdk';
import { DelegatingProvider } from './delegating-provider';
import { FileChangePoller } from './file-change-poller';

export interface FileFlagProviderOptions {
  /** how often the file is checked for changes (default 500 ms) */
  pollIntervalMs?: number;
  logger?: Pick<Console, 'warn'>;
}

/**
 * flagd's in-process resolver reading a flag file (`offlineFlagSourcePath`), reloaded quickly.
 *
 * `@openfeature/flagd-provider` 0.16 watches that file itself, but with `fs.watchFile` at Node's
 * default 5007 ms poll interval, which cannot be configured. So this provider polls the file
 * itself (500 ms by default) and, on a change, opens a fresh `FlagdProvider` on it, waits until
 * that one has parsed the file, then swaps it in and closes the old one: evaluations never see a
 * not-ready provider, and a broken edit (invalid JSON, a defaultVariant missing from variants) is
 * logged and ignored, the last good flags staying in force. flagd's own 5 s watcher becomes
 * redundant (closing the old provider runs `fs.unwatchFile(path)`, which drops every listener on
 * that path, the new provider's included); this poller is what keeps flags current.
 */
export class FileFlagProvider extends DelegatingProvider {
  readonly metadata = { name: 'flagd-file' } as const;

  private current: FlagdProvider | undefined;
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
      await this.current?.onClose();
      this.current = undefined;
    })();
    return this.closing;
  }

  protected active(): FlagdProvider {
    if (!this.current) throw new ProviderNotReadyError(`flags from ${this.path} are not loaded`);
    return this.current;
  }

  private async open(): Promise<FlagdProvider> {
    const flagd = new FlagdProvider(
      { resolverType: 'in-process', offlineFlagSourcePath: this.path },
      {
        error: (...args: unknown[]) => this.logger.warn('flagd:', ...args),
        warn: (...args: unknown[]) => this.logger.warn('flagd:', ...args),
        info: () => undefined,
        debug: () => undefined,
      },
    );
    await flagd.initialize();
    return flagd;
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
    let next: FlagdProvider;
    try {
      next = await this.open();
    } catch (err) {
      this.logger.warn(
        `flags: ${this.path} changed but cannot be loaded (${(err as Error).message}); keeping the previous flags`,
      );
      return;
    }
    if (this.closing) {
      await next.onClose();
      return;
    }
    const previous = this.current;
    this.current = next;
    await previous?.onClose();
    this.events.emit(ProviderEvents.ConfigurationChanged, {});
  }
}
