import net from 'node:net';
import {
  createKeyValueStore,
  KeyValueUnavailableError,
  MemoryKeyValueStore,
  RedisKeyValueStore,
} from '../src/kv';
import { ManualClock } from '../src/clock';
import { describeKeyValueContract } from '../src/testing/kv-contract';
import { expectEventually } from '../src/testing/expect-eventually';

const REDIS_URL = process.env.REDIS_URL;
if (!REDIS_URL) {
  throw new Error('REDIS_URL is not set: the integration project globalSetup must start Redis and export it');
}
const redisUrl: string = REDIS_URL;
const silent = { warn: () => undefined, info: () => undefined };

describeKeyValueContract('redis', async () => ({
  store: await RedisKeyValueStore.connect(redisUrl, { logger: silent }),
}));

describeKeyValueContract('memory', async () => {
  const clock = new ManualClock(Date.UTC(2030, 0, 1));
  return {
    store: new MemoryKeyValueStore(clock),
    advance: async (ms) => clock.advance(ms),
  };
});

describe('createKeyValueStore', () => {
  it('connects to Redis when REDIS_URL is set, and the exposed client sees the same data', async () => {
    const store = await createKeyValueStore({ url: redisUrl });
    try {
      expect(store.kind).toBe('redis');
      const key = `flywheel-test:kv-factory:${process.pid}:${Date.now()}`;
      await store.set(key, 'shared', { ttlMs: 60_000 });
      expect(await (store as RedisKeyValueStore).client.get(key)).toBe('shared');
    } finally {
      await store.close();
    }
  });

  it('falls back to memory when REDIS_URL is unset or blank', async () => {
    for (const env of [{}, { url: ' ' }]) {
      const store = await createKeyValueStore(env);
      expect(store.kind).toBe('memory');
      await store.close();
    }
  });
});

describe('RedisKeyValueStore leases', () => {
  it('keep working when Redis forgets its cached scripts (restart, SCRIPT FLUSH)', async () => {
    const store = await RedisKeyValueStore.connect(redisUrl, { logger: silent });
    try {
      const key = `flywheel-test:lease-flush:${process.pid}:${Date.now()}`;
      const lease = { limit: 2, ttlMs: 60_000 };
      expect(await store.acquireLease(key, 'a', lease)).toBe(true);
      await store.client.scriptFlush();
      expect(await store.acquireLease(key, 'b', lease)).toBe(true);
      expect(await store.acquireLease(key, 'c', lease)).toBe(false);
      expect(await store.client.zRange(key, 0, -1)).toEqual(['a', 'b']);
    } finally {
      await store.close();
    }
  });
});

describe('RedisKeyValueStore faults (through a TCP proxy we can cut)', () => {
  let proxy: TcpProxy;
  let store: RedisKeyValueStore | undefined;
  const key = `flywheel-test:kv-faults:${process.pid}:${Date.now()}`;

  beforeEach(async () => {
    const { hostname, port } = new URL(redisUrl);
    proxy = await TcpProxy.start(hostname, Number(port || 6379));
  });

  afterEach(async () => {
    await store?.close();
    await proxy.stop();
  });

  function urlThroughProxy(): string {
    const url = new URL(redisUrl);
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    return url.toString();
  }

  it('fails calls at once while Redis is unreachable and recovers when it is back', async () => {
    // a command timeout far beyond the test timeout: a call that waited would fail the test
    store = await RedisKeyValueStore.connect(urlThroughProxy(), { commandTimeoutMs: 60_000, logger: silent });
    await store.set(key, 'before', { ttlMs: 60_000 });

    await proxy.stop();
    const down = store;
    await expectEventually(() => expect(down.ping()).rejects.toBeInstanceOf(KeyValueUnavailableError));
    await expect(down.get(key)).rejects.toThrow(/redis at 127\.0\.0\.1:\d+ is unavailable/);
    await expect(down.incr(`${key}:n`, { ttlMs: 1000 })).rejects.toBeInstanceOf(KeyValueUnavailableError);

    await proxy.listen();
    await expectEventually(() => down.ping(), { timeoutMs: 10_000 });
    expect(await down.get(key)).toBe('before');
  }, 20_000);

  it('times a call out instead of hanging while Redis does not answer', async () => {
    store = await RedisKeyValueStore.connect(urlThroughProxy(), { commandTimeoutMs: 300, logger: silent });
    await store.set(key, 'value', { ttlMs: 60_000 });

    proxy.stall();
    await expect(store.get(key)).rejects.toBeInstanceOf(KeyValueUnavailableError);
    await expect(store.incr(`${key}:n`, { ttlMs: 60_000 })).rejects.toBeInstanceOf(KeyValueUnavailableError);

    proxy.unstall();
    const back = store;
    await expectEventually(async () => expect(await back.get(key)).toBe('value'));
  }, 20_000);

  it('fails to connect within the connect timeout, naming the address, when nothing listens', async () => {
    await proxy.stop();
    await expect(
      RedisKeyValueStore.connect(urlThroughProxy(), { connectTimeoutMs: 1000, logger: silent }),
    ).rejects.toThrow(/could not connect to redis at 127\.0\.0\.1:\d+ within 1000 ms: .*ECONNREFUSED/);
  }, 20_000);
});

/** Forwards a local port to Redis; `stop` cuts every connection, `stall` holds traffic. */
class TcpProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private readonly held: (() => void)[] = [];
  private stalled = false;
  port = 0;

  private constructor(
    private readonly host: string,
    private readonly targetPort: number,
  ) {}

  static async start(host: string, targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(host, targetPort);
    await proxy.listen();
    return proxy;
  }

  /** (re)opens the listening socket, on the same port after a stop */
  async listen(): Promise<void> {
    const server = net.createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  stall(): void {
    this.stalled = true;
  }

  unstall(): void {
    this.stalled = false;
    for (const send of this.held.splice(0)) send();
  }

  private accept(client: net.Socket): void {
    const upstream = net.connect(this.targetPort, this.host);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    const forward = (from: net.Socket, to: net.Socket) =>
      from.on('data', (chunk) => {
        const send = () => to.write(chunk);
        if (this.stalled) this.held.push(send);
        else send();
      });
    forward(client, upstream);
    forward(upstream, client);
  }
}
