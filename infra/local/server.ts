import fs from 'node:fs';
import type { ServerProcess } from './processes';
import { waitUntilReady } from './readiness';
import { removeTempDir } from './tempdirs';

/** What startRedis and startPostgres return: a private server on a free loopback port, or an external one. */
export interface LocalServer {
  readonly url: string;
  /** Server pid while it runs (undefined when external). */
  readonly pid: number | undefined;
  /** Dir holding its data and log (undefined when external). */
  readonly dataDir: string | undefined;
  /** True when the URL came from the environment: kill() and start() then reject. */
  readonly external: boolean;
  /** SIGKILL (with its child processes: a crash) and wait for the exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data dir; resolves once it answers. */
  start(): Promise<void>;
  /** Graceful stop (SIGKILL after 10 s), then removes the data dir if it is ours, unless keepData. */
  stop(opts?: { keepData?: boolean }): Promise<void>;
}

export interface LocalServerOptions {
  /** Defaults to a free port. */
  port?: number;
  /** Run in its own session so it outlives this process (the CLI's `up`). */
  detached?: boolean;
  /** Start a private server even if the URL variable is set. */
  ignoreEnv?: boolean;
}

export interface ManagedServerSpec {
  name: string;
  url: string;
  dataDir: string;
  /** Remove dataDir on stop() (it is a temp dir we created). */
  ownsDataDir: boolean;
  daemon: ServerProcess;
  /** Quoted when it fails to start. */
  logFiles: string[];
  readyTimeoutMs: number;
  /** Answers true once the server serves requests. */
  probe: () => Promise<boolean>;
  probeIntervalMs?: number;
}

/** Lifecycle shared by the private servers: launch + wait for the probe, crash, graceful stop + cleanup. */
export function managedServer(spec: ManagedServerSpec): LocalServer {
  const { daemon, dataDir } = spec;
  return {
    url: spec.url,
    external: false,
    dataDir,
    get pid() {
      return daemon.pid;
    },
    async start() {
      if (!fs.existsSync(dataDir))
        throw new Error(`${spec.name}: ${dataDir} was removed by stop(); start a new one`);
      const pid = await daemon.launch();
      try {
        await waitUntilReady({
          name: spec.name,
          pid,
          logFiles: spec.logFiles,
          timeoutMs: spec.readyTimeoutMs,
          probe: spec.probe,
          intervalMs: spec.probeIntervalMs,
        });
      } catch (err) {
        await daemon.kill();
        throw err;
      }
    },
    kill: () => daemon.kill(),
    async stop(opts = {}) {
      await daemon.stop();
      if (spec.ownsDataDir && !opts.keepData) removeTempDir(dataDir);
    },
  };
}

/** Starts a server made by managedServer; on failure stops it (removing its temp dir) and rethrows. */
export async function startOrCleanUp<T extends Pick<LocalServer, 'start' | 'stop'>>(server: T): Promise<T> {
  try {
    await server.start();
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}
