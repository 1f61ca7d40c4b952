import { Logger } from '@nestjs/common';
import {
  type FlagsRequest,
  type FlagsResponse,
  FlagSyncServiceDefinition,
} from '@flywheel/platform/flag-sync';
import {
  Server,
  ServerCredentials,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServerWritableStream,
  status,
} from '@grpc/grpc-js';

/**
 * flagd's sync service (`flagd.sync.v1.FlagSyncService`) over gRPC: `SyncFlags` sends the whole
 * current configuration when a client connects and again on every change (`push`), for as long
 * as the stream is open; `FetchAllFlags` answers it once. Clients: our gateways, flagd itself
 * (`--sources '[{"uri":"host:port","provider":"grpc"}]'`) and flagd's in-process providers.
 */
export class FlagSyncServer {
  private readonly logger = new Logger('FlagSync');
  private readonly server = new Server({
    // clients ping every 30 s to notice a vanished controller; let them
    'grpc.keepalive_permit_without_calls': 1,
  });
  private readonly streams = new Set<ServerWritableStream<FlagsRequest, FlagsResponse>>();

  constructor(private readonly current: () => string) {
    this.server.addService(FlagSyncServiceDefinition, {
      syncFlags: (call: ServerWritableStream<FlagsRequest, FlagsResponse>) => this.sync(call),
      fetchAllFlags: (
        _call: ServerUnaryCall<FlagsRequest, FlagsResponse>,
        done: sendUnaryData<FlagsResponse>,
      ) => {
        const flagConfiguration = this.current();
        if (!flagConfiguration) done({ code: status.UNAVAILABLE, details: 'flags not built yet' });
        else done(null, { flagConfiguration });
      },
    });
  }

  /** Listens on host:port (0: any free port); resolves the port. */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) =>
      this.server.bindAsync(
        `${host.includes(':') ? `[${host}]` : host}:${port}`,
        ServerCredentials.createInsecure(),
        (err, bound) =>
          err
            ? reject(new Error(`flag sync: cannot listen on ${host}:${port}: ${err.message}`))
            : resolve(bound),
      ),
    );
  }

  /** Open SyncFlags streams. */
  get clients(): number {
    return this.streams.size;
  }

  /** Sends `flagConfiguration` to every open stream. */
  push(flagConfiguration: string): void {
    for (const call of this.streams) call.write({ flagConfiguration });
    this.logger.log(`pushed new flags to ${this.streams.size} sync client(s)`);
  }

  /** Ends every stream (clients reconnect elsewhere or later) and stops listening. */
  async close(): Promise<void> {
    for (const call of this.streams) call.end();
    this.streams.clear();
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, 2_000);
      this.server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  private sync(call: ServerWritableStream<FlagsRequest, FlagsResponse>): void {
    const flagConfiguration = this.current();
    if (!flagConfiguration) {
      call.emit('error', { code: status.UNAVAILABLE, details: 'flags not built yet' });
      return;
    }
    this.streams.add(call);
    const forget = () => this.streams.delete(call);
    call.on('cancelled', forget);
    call.on('close', forget);
    call.on('error', forget);
    call.write({ flagConfiguration });
  }
}
