import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export interface TestDatabase {
  /** DATABASE_URL of the new database */
  url: string;
  /** drops it (idempotent), cutting off whoever is still connected */
  drop(): Promise<void>;
}

async function onServer(serverUrl: string, sql: string): Promise<void> {
  const pg = new Client({ connectionString: serverUrl });
  await pg.connect();
  try {
    await pg.query(sql);
  } finally {
    await pg.end();
  }
}

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
  await onServer(serverUrl, `create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await onServer(serverUrl, `drop database if exists ${name} with (force)`);
    },
  };
}
