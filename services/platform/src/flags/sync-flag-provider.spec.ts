import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server, ServerCredentials, type ServerWritableStream } from '@grpc/grpc-js';
import { expectEventually } from '../testing/expect-eventually';
import { FlagService } from './flag-service';
import { type FlagsRequest, type FlagsResponse, FlagSyncServiceDefinition } from './sync-protocol';

/**
 * The gateway's side of flag sync against a real gRPC server speaking flagd's sync protocol on
 * a free port: flags arrive and change without a restart, the file serves while the source is
 * down at boot, the last flags stay when the source goes away, and it reconnects.
 */

const flags = (defaultVariant: string) =>
  JSON.stringify({
    flags: {
      'demo-chat': {
        state: 'ENABLED',
        variants: { control: 'control', candidate: 'candidate', file: 'file' },
        defaultVariant,
      },
    },
  });

/** A flag sync source: sends `configuration` on connect and on every `push`. */
class Source {
  private server = new Server();
  private readonly streams = new Set<ServerWritableStream<FlagsRequest, FlagsResponse>>();
  port = 0;

  constructor(public configuration: string) {}

  async start(port = 0): Promise<void> {
    this.server = new Server();
    this.server.addService(FlagSyncServiceDefinition, {
      syncFlags: (call: ServerWritableStream<FlagsRequest, FlagsResponse>) => {
        this.streams.add(call);
        call.on('cancelled', () => this.streams.delete(call));
        call.write({ flagConfiguration: this.configuration });
      },
      fetchAllFlags: () => undefined,
    });
    this.port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
  }

  push(configuration: string): void {
    this.configuration = configuration;
    for (const call of this.streams) call.write({ flagConfiguration: configuration });
  }

  stop(): void {
    this.streams.clear();
    this.server.forceShutdown();
  }
}

let dir: string;
let flagsFile: string;
let warnings: string[];
const open: FlagService[] = [];
const sources: Source[] = [];
const logger = { warn: (...args: unknown[]) => warnings.push(args.join(' ')) };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'flywheel-sync-'));
  flagsFile = join(dir, 'flags.json');
  writeFileSync(flagsFile, flags('file'));
  warnings = [];
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
  for (const s of sources.splice(0)) s.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function source(configuration = flags('control')): Promise<Source> {
  const s = new Source(configuration);
  sources.push(s);
  await s.start();
  return s;
}

async function service(port: number, syncBootWaitMs = 3_000): Promise<FlagService> {
  const s = await FlagService.create({ flagsFile, syncAddress: `127.0.0.1:${port}`, syncBootWaitMs, logger });
  open.push(s);
  return s;
}

const variant = async (s: FlagService) =>
  (await s.variantFor('demo-chat', 'default', { targetingKey: 'u1' })).variant;

/** A port nothing listens on (yet). */
async function freePort(): Promise<number> {
  const probe = new Source('');
  await probe.start();
  probe.stop();
  return probe.port;
}

describe('FlagService with a flag sync source', () => {
  it('evaluates the flags the source sends, and each change it pushes, without a restart', async () => {
    const src = await source();
    const flagService = await service(src.port);
    expect(await variant(flagService)).toBe('control');
    expect(flagService.source()).toEqual({ source: 'sync', connected: true });
    src.push(flags('candidate'));
    await expectEventually(async () => expect(await variant(flagService)).toBe('candidate'), {
      timeoutMs: 2_000,
    });
  });

  it('serves FLAGS_FILE while the source is down at boot, then switches to the source once it is up', async () => {
    const port = await freePort();
    const flagService = await service(port, 300);
    expect(await variant(flagService)).toBe('file');
    expect(flagService.ready()).toBe(true);
    expect(flagService.source()).toMatchObject({ source: 'file', connected: false });
    expect(flagService.source().problem).toContain(`flag sync source 127.0.0.1:${port} unreachable`);
    expect(warnings.join('\n')).toContain(`serving ${flagsFile} until it is`);
    const src = new Source(flags('candidate'));
    sources.push(src);
    await src.start(port);
    await expectEventually(async () => expect(await variant(flagService)).toBe('candidate'), {
      timeoutMs: 5_000,
    });
    expect(flagService.source()).toEqual({ source: 'sync', connected: true });
  });

  it('keeps the last flags while the source is away, and applies its pushes after it comes back', async () => {
    const src = await source(flags('candidate'));
    const flagService = await service(src.port);
    src.stop();
    await expectEventually(() => expect(flagService.source().connected).toBe(false), { timeoutMs: 5_000 });
    expect(await variant(flagService)).toBe('candidate');
    expect(flagService.source().problem).toContain('serving the last flags it sent');
    expect(warnings.join('\n')).toContain('keeping the last flags, reconnecting');
    const back = new Source(flags('control'));
    sources.push(back);
    await back.start(src.port);
    await expectEventually(async () => expect(await variant(flagService)).toBe('control'), {
      timeoutMs: 5_000,
    });
    back.push(flags('candidate'));
    await expectEventually(async () => expect(await variant(flagService)).toBe('candidate'), {
      timeoutMs: 2_000,
    });
  });

  it('ignores a configuration that does not load, keeping the previous flags', async () => {
    const src = await source(flags('candidate'));
    const flagService = await service(src.port);
    src.push('{ "flags": { "demo-chat": ');
    await expectEventually(() => expect(warnings.join('\n')).toContain('sent flags that cannot be loaded'), {
      timeoutMs: 2_000,
    });
    expect(await variant(flagService)).toBe('candidate');
    expect(await flagService.variantFor('no-such-flag', 'dflt', { targetingKey: 'u1' })).toMatchObject({
      variant: 'dflt',
      reason: 'ERROR',
      errorCode: 'FLAG_NOT_FOUND',
    });
  });

  it('refuses to start, naming both, when the source is down and FLAGS_FILE does not load', async () => {
    const port = await freePort();
    rmSync(flagsFile);
    await expect(service(port, 200)).rejects.toThrow(
      new RegExp(
        `no flags from the sync source 127.0.0.1:${port} within 200 ms .* ${flagsFile} cannot be loaded`,
      ),
    );
  });
});
