import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { findExecutable } from './executables';
import { externalServer } from './external';
import { freePort } from './ports';
import { run, ServerProcess } from './processes';
import { type LocalServer, type LocalServerOptions, managedServer, startOrCleanUp } from './server';
import { createTempDir, removeTempDir } from './tempdirs';

export type PostgresServer = LocalServer;

const INSTALL_HINT =
  'install PostgreSQL (`apt-get install -y postgresql`) or set DATABASE_URL to a running one';

/**
 * DATABASE_URL when set, else a private cluster: initdb into a temp dir, `postgres` on a free
 * loopback port with its unix socket in the same dir, fsync off (test data only). As root it
 * runs as the `postgres` OS user, since postgres refuses to run as root.
 */
export async function startPostgres(opts: LocalServerOptions = {}): Promise<PostgresServer> {
  const envUrl = process.env.DATABASE_URL;
  if (envUrl && !opts.ignoreEnv) return externalServer(envUrl, 'DATABASE_URL');
  const bin = postgresBinDir();
  const user = serverUser();
  const detached = opts.detached ?? false;
  const dataDir = createTempDir('postgres', detached);
  const pgdata = path.join(dataDir, 'data');
  try {
    if (user) fs.chownSync(dataDir, user.uid, user.gid);
    const initdb = ['-D', pgdata, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'];
    const { code, output } = await run(path.join(bin, 'initdb'), initdb, { cwd: dataDir, ...user });
    if (code !== 0) throw new Error(`initdb failed (exit ${code}):\n${output}`);
  } catch (err) {
    removeTempDir(dataDir);
    throw err;
  }
  const port = opts.port ?? (await freePort());
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const logFile = path.join(dataDir, 'postgres.log');
  const args = [
    ...['-D', pgdata, '-p', `${port}`, '-h', '127.0.0.1', '-k', dataDir],
    // Fast but crash-safe for a process kill (what fault tests do): commits still reach the kernel
    // before they are acknowledged; only an OS crash could lose them. No synchronous_commit=off:
    // that would lose acknowledged commits on kill.
    ...['-c', 'fsync=off', '-c', 'full_page_writes=off'],
  ];
  // SIGINT is postgres' fast shutdown; SIGTERM would wait for every client to disconnect.
  const daemon = new ServerProcess({
    command: path.join(bin, 'postgres'),
    args,
    logFile,
    detached,
    cwd: dataDir,
    ...user,
    stopSignal: 'SIGINT',
  });
  return startOrCleanUp(
    managedServer({
      name: `postgres on port ${port}`,
      url,
      dataDir,
      ownsDataDir: true,
      daemon,
      logFiles: [logFile],
      readyTimeoutMs: 30_000,
      probe: () => canQuery(url),
    }),
  );
}

/** Debian's /usr/lib/postgresql/<newest>/bin, else the dir `initdb` on PATH really lives in. */
function postgresBinDir(): string {
  const debian = '/usr/lib/postgresql';
  const versions = fs.existsSync(debian) ? fs.readdirSync(debian) : [];
  const candidates = versions.sort((a, b) => Number(b) - Number(a)).map((v) => path.join(debian, v, 'bin'));
  const onPath = findExecutable('initdb');
  if (onPath) candidates.push(path.dirname(fs.realpathSync(onPath)));
  const found = candidates.find((dir) =>
    ['initdb', 'postgres'].every((exe) => fs.existsSync(path.join(dir, exe))),
  );
  if (!found)
    throw new Error(
      `\`initdb\` and \`postgres\` were not found in ${debian}/*/bin or on PATH; ${INSTALL_HINT}`,
    );
  return found;
}

/** The `postgres` OS user when running as root (postgres will not run as root), else undefined: ourselves. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const entry = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields[0] === 'postgres');
  if (!entry) {
    throw new Error(
      'running as root and there is no `postgres` OS user to run postgres as (it refuses root); ' +
        `${INSTALL_HINT}, or create the user: \`useradd --system postgres\``,
    );
  }
  return { uid: Number(entry[2]), gid: Number(entry[3]) };
}

async function canQuery(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
