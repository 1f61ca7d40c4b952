import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createSqlDatabase } from './create-sql-database';
import { PgliteDatabase } from './pglite-database';
import { PostgresDatabase } from './postgres-database';

describe('createSqlDatabase', () => {
  it('picks Postgres when a URL is set, without connecting yet', async () => {
    const db = await createSqlDatabase({ url: 'postgres://nobody@127.0.0.1:1/none' });
    expect(db).toBeInstanceOf(PostgresDatabase);
    expect(db.kind).toBe('postgres');
    await db.close();
  });

  it('picks PGlite in the given directory when the URL is unset or blank', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'flywheel-create-sql-'));
    try {
      const db = await createSqlDatabase({ url: ' ', dataDir: dir, name: 'ignored' });
      expect(db).toBeInstanceOf(PgliteDatabase);
      expect((db as PgliteDatabase).dataDir).toBe(dir);
      await db.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('picks an in-memory PGlite when given neither a directory nor a name', async () => {
    const db = await createSqlDatabase({});
    expect(db.kind).toBe('pglite');
    expect((db as PgliteDatabase).dataDir).toBeUndefined();
    await db.close();
  });
});
