import { randomBytes } from 'node:crypto';
import { expectEventually } from '@flywheel/platform/testing';
import { Client } from 'pg';

export interface TestDatabase {
  /** DATABASE_URL of the new database */
  url: string;
  /** drops it (idempotent), cutting off whoever is still connected */
  drop(): Promise<void>;
}

async function onServer(serverUrl: string, fn: (pg: Client) => Promise<unknown>): Promise<void> {
  const pg = new Client({ connectionString: serverUrl });
  await pg.connect();
  try {
    await fn(pg);
  } finally {
    await pg.end();
  }
}

/** How long a drop waits for connections that are closing on their own before it cuts them off. */
const DROP_GRACE_MS = 2000;

/**
 * A database of its own on the Postgres server of the integration project's globalSetup
 * (DATABASE_URL), so suites running side by side never see each other's rows.
 */
export async function createTestDatabase(prefix: string): Promise<TestDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    throw new Error(
      'DATABASE_URL is not set: run in the integration project (its globalSetup starts Postgres)',
    );
  }
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await onServer(serverUrl, (pg) => pg.query(`create database ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await onServer(serverUrl, async (pg) => {
        // pg's Pool.end() resolves before its clients' connections have closed: a forced drop
        // right after it kills them mid-close, and the pool (no 'error' listener in a test)
        // throws "terminating connection due to administrator command" into the test file.
        // Let such connections finish first; force only what is still connected after that.
        await expectEventually(
          async () => {
            const { rows } = await pg.query<{ n: number }>(
              'select count(*)::int as n from pg_stat_activity where datname = $1',
              [name],
            );
            if (rows[0]!.n > 0) throw new Error(`${rows[0]!.n} connections to ${name} left`);
          },
          { timeoutMs: DROP_GRACE_MS, intervalMs: 20 },
        ).catch(() => undefined); // still connected after the grace: cut off below, as documented
        await pg.query(`drop database if exists ${name} with (force)`);
      });
    },
  };
}
