import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { createSqlDatabase } from '../src/sql';
import { PgliteDatabase } from '../src/sql/pglite-database';
import { PostgresDatabase } from '../src/sql/postgres-database';
import { describeSqlContract } from '../src/testing/sql-contract';

const DATABASE_URL = process.env.DATABASE_URL;
if (!DATABASE_URL) {
  throw new Error(
    'DATABASE_URL is not set: the integration project globalSetup must start Postgres and export it',
  );
}
const databaseUrl: string = DATABASE_URL;
const silent = { warn: () => undefined };

/** Every factory call gets a fresh schema, so parallel test files and reruns never collide. */
describeSqlContract('postgres', async () => {
  const schema = `flywheel_test_${randomUUID().replaceAll('-', '').slice(0, 20)}`;
  const admin = new Pool({ connectionString: databaseUrl, max: 1 });
  try {
    await admin.query(`create schema ${schema}`);
  } finally {
    await admin.end();
  }
  const open = () =>
    new PostgresDatabase({
      connectionString: databaseUrl,
      options: `-c search_path=${schema}`,
      logger: silent,
    });
  const db = open();
  const peer = open();
  return {
    db,
    peer,
    dispose: async () => {
      await Promise.all([db.close(), peer.close()]);
      const cleanup = new Pool({ connectionString: databaseUrl, max: 1 });
      try {
        await cleanup.query(`drop schema ${schema} cascade`);
      } finally {
        await cleanup.end();
      }
    },
  };
});

describeSqlContract('pglite (in memory)', async () => {
  const db = await PgliteDatabase.open();
  return { db, peer: db, dispose: () => db.close() };
});

describe('createSqlDatabase', () => {
  it('connects to Postgres when DATABASE_URL is set', async () => {
    const db = await createSqlDatabase({ url: databaseUrl });
    try {
      expect(db.kind).toBe('postgres');
      await expect(db.ping()).resolves.toBeUndefined();
    } finally {
      await db.close();
    }
  });

  it('fails calls within the connection timeout, naming the cause, when Postgres is unreachable', async () => {
    // port 1 on loopback: nothing listens, the connection is refused at once
    const db = new PostgresDatabase({
      connectionString: 'postgres://postgres@127.0.0.1:1/postgres',
      logger: silent,
    });
    try {
      await expect(db.ping()).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      await db.close();
    }
  });
});
