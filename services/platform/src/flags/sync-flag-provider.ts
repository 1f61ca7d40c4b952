import { credentials, type ClientReadableStream } from '@grpc/grpc-js';
import type { FlagdCore } from '@openfeature/flagd-core';
import { ProviderEvents, ProviderNotReadyError } from '@openfeature/server-sdk';
import { DelegatingProvider, flagdCore, type FlagResolver } from './delegating-provider';
import { FileFlagProvider } from './file-flag-provider';
import {
  FlagSyncClient,
  type FlagSyncClientApi,
  type FlagsResponse,
  parseSyncAddress,
} from './sync-protocol';

export interface SyncFlagProviderOptions {
  /** the flag sync source, `host:port` (the rollout controller's ROLLOUTS_SYNC_PORT) */
  address: string;
  /** flagd JSON served until the first snapshot arrives when the source is down at boot */
  fallbackFile: string;
  /** how long initialize() waits for the first snapshot before falling back (default 3000 ms) */
  bootWaitMs?: number;
  /** pause between reconnect attempts (default 500 ms) */
  reconnectMs?: number;
  /** how often the fallback file is checked for changes while it is in use (default 500 ms) */
  pollIntervalMs?: number;
  logger?: Pick<Console, 'warn'>;
}

/** Where the flags being evaluated come from, for /readyz and logs. */
export interface FlagSourceStatus {
  source: 'sync' | 'file' | 'none';
  connected: boolean;
  /** what an operator should know when the sync source is not connected */
  problem?: string;
}

/**
 * flagd's in-process evaluation (flagd-core) fed by a flag sync source over flagd's own sync
 * protocol (`flagd.sync.v1.FlagSyncService/SyncFlags`), with the local file as a boot fallback.
 *
 * flagd's own in-process provider speaks the same protocol, but it cannot start on a local file
 * and switch to the stream once the source is up, and its reconnect pacing (gRPC channel backoff
 * up to 2 min) is not configurable; a gateway must keep serving, and pick up a decision within
 * seconds of the source coming back. So: every snapshot received replaces the flags at once; an
 * invalid snapshot is logged and ignored; when the stream breaks the last flags stay in force and
 * the stream is reopened every `reconnectMs`. If no snapshot arrives within `bootWaitMs` at boot,
 * `fallbackFile` is evaluated (and watched) until one does.
 */
export class SyncFlagProvider extends DelegatingProvider {
  readonly metadata = { name: 'flagd-sync' } as const;

  private readonly core: FlagdCore;
  private readonly client: FlagSyncClientApi;
  private readonly logger: Pick<Console, 'warn'>;
  private readonly bootWaitMs: number;
  private readonly reconnectMs: number;
  private stream: ClientReadableStream<FlagsResponse> | undefined;
  private retry: NodeJS.Timeout | undefined;
  private synced = false;
  private connected = false;
  private lastError = 'not connected yet';
  private lostAt: number | undefined;
  private file: FileFlagProvider | undefined;
  private closed = false;
  private onFirstSnapshot: (() => void) | undefined;

  constructor(private readonly options: SyncFlagProviderOptions) {
    super();
    const { host, port } = parseSyncAddress(options.address);
    this.logger = options.logger ?? console;
    this.bootWaitMs = options.bootWaitMs ?? 3_000;
    this.reconnectMs = options.reconnectMs ?? 500;
    this.core = flagdCore(this.logger);
    this.client = new FlagSyncClient(`${host}:${port}`, credentials.createInsecure(), {
      // reconnect within about a second of the source coming back, however long it was down
      'grpc.initial_reconnect_backoff_ms': this.reconnectMs,
      'grpc.max_reconnect_backoff_ms': Math.max(this.reconnectMs, 1_000),
      // notice a source that vanished without closing the connection (host lost, network cut)
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
    });
  }

  async initialize(): Promise<void> {
    const first = new Promise<boolean>((resolve) => {
      this.onFirstSnapshot = () => resolve(true);
      setTimeout(() => resolve(false), this.bootWaitMs).unref();
    });
    this.open();
    if (await first) return;
    const file = new FileFlagProvider(this.options.fallbackFile, {
      pollIntervalMs: this.options.pollIntervalMs,
      logger: this.logger,
    });
    try {
      await file.initialize();
    } catch (err) {
      await file.onClose();
      throw new Error(
        `no flags from the sync source ${this.options.address} within ${this.bootWaitMs} ms ` +
          `(${this.lastError}) and the fallback ${this.options.fallbackFile} cannot be loaded: ${(err as Error).message}`,
        { cause: err },
      );
    }
    if (this.synced || this.closed) {
      await file.onClose();
      return;
    }
    this.file = file;
    this.logger.warn(
      `flags: the sync source ${this.options.address} is not reachable (${this.lastError}); ` +
        `serving ${this.options.fallbackFile} until it is`,
    );
  }

  async onClose(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    this.stream?.cancel();
    this.stream = undefined;
    this.client.close();
    await this.file?.onClose();
    this.file = undefined;
  }

  sourceStatus(): FlagSourceStatus {
    const source = this.synced ? 'sync' : this.file ? 'file' : 'none';
    if (this.connected) return { source, connected: true };
    const since = this.lostAt === undefined ? '' : ` since ${new Date(this.lostAt).toISOString()}`;
    const serving =
      source === 'sync'
        ? 'serving the last flags it sent'
        : source === 'file'
          ? `serving ${this.options.fallbackFile}`
          : 'no flags yet';
    return {
      source,
      connected: false,
      problem: `flag sync source ${this.options.address} unreachable${since} (${this.lastError}); ${serving}; reconnecting`,
    };
  }

  resolver(): FlagResolver {
    if (this.synced) return this.core;
    if (!this.file)
      throw new ProviderNotReadyError(`no flags from the sync source ${this.options.address} yet`);
    return this.file.resolver();
  }

  /** Opens the SyncFlags stream; every end or error of it schedules the next one. */
  private open(): void {
    if (this.closed) return;
    const stream = this.client.syncFlags({ providerId: 'flywheel', selector: '' });
    this.stream = stream;
    stream.on('data', (message: FlagsResponse) => this.receive(message.flagConfiguration));
    stream.on('error', (err: Error & { details?: string }) => this.lost(stream, err.details || err.message));
    stream.on('end', () => this.lost(stream, 'the source ended the stream'));
  }

  private receive(configuration: string): void {
    let changed: string[];
    try {
      changed = this.core.setConfigurations(configuration);
    } catch (err) {
      this.logger.warn(
        `flags: the sync source ${this.options.address} sent flags that cannot be loaded (${(err as Error).message}); keeping the previous flags`,
      );
      return;
    }
    if (!this.connected && this.lostAt !== undefined)
      this.logger.warn(`flags: the sync source ${this.options.address} is back`);
    this.connected = true;
    this.lostAt = undefined;
    if (!this.synced) {
      this.synced = true;
      this.onFirstSnapshot?.();
      const file = this.file;
      this.file = undefined;
      if (file) {
        this.logger.warn(`flags: now served by the sync source ${this.options.address}`);
        void file.onClose();
      }
    }
    if (changed.length) this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged: changed });
  }

  private lost(stream: ClientReadableStream<FlagsResponse>, reason: string): void {
    if (this.closed || this.stream !== stream) return;
    this.stream = undefined;
    stream.removeAllListeners();
    stream.on('error', () => undefined);
    stream.cancel();
    this.lastError = reason;
    if (this.connected) {
      this.connected = false;
      this.lostAt = Date.now();
      this.logger.warn(
        `flags: lost the sync source ${this.options.address} (${reason}); keeping the last flags, reconnecting`,
      );
    }
    this.lostAt ??= Date.now();
    this.retry = setTimeout(() => this.open(), this.reconnectMs);
    this.retry.unref();
  }
}
