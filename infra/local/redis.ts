import net from 'node:net';
import path from 'node:path';
import { requireExecutable } from './executables';
import { externalServer } from './external';
import { freePort } from './ports';
import { ServerProcess } from './processes';
import { type LocalServer, type LocalServerOptions, managedServer, startOrCleanUp } from './server';
import { createTempDir } from './tempdirs';

export type RedisServer = LocalServer;

/** REDIS_URL when set, else a private `redis-server` without persistence on a free loopback port. */
export async function startRedis(opts: LocalServerOptions = {}): Promise<RedisServer> {
  const envUrl = process.env.REDIS_URL;
  if (envUrl && !opts.ignoreEnv) return externalServer(envUrl, 'REDIS_URL');
  const command = requireExecutable(
    'redis-server',
    'install Redis (`apt-get install -y redis-server`) or set REDIS_URL to a running one',
  );
  const detached = opts.detached ?? false;
  const port = opts.port ?? (await freePort());
  const dataDir = createTempDir('redis', detached);
  const logFile = path.join(dataDir, 'redis.log');
  const args = [
    '--port',
    `${port}`,
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dataDir,
  ];
  return startOrCleanUp(
    managedServer({
      name: `redis-server on port ${port}`,
      url: `redis://127.0.0.1:${port}`,
      dataDir,
      ownsDataDir: true,
      daemon: new ServerProcess({ command, args, logFile, detached, stopSignal: 'SIGTERM' }),
      logFiles: [logFile],
      readyTimeoutMs: 10_000,
      probe: () => ping(port),
    }),
  );
}

/** True when Redis answers PING with PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}
