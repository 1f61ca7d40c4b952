import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { defaultPgliteDataDir, PgliteDatabase } from './pglite-database';

describe('PgliteDatabase on disk', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'flywheel-pglite-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // one test, because creating a data directory (initdb) costs seconds
  it('keeps committed data across close and reopen, and is never open twice at once', async () => {
    const dataDir = path.join(dir, 'nested', 'pgdata');
    const first = await PgliteDatabase.open({ dataDir });
    expect(first.dataDir).toBe(dataDir);
    await first.exec(`create table notes (body text); insert into notes values ('kept')`);
    await expect(PgliteDatabase.open({ dataDir: path.join(dataDir, '.') })).rejects.toThrow(/already open/);
    await expect(first.ping()).resolves.toBeUndefined();
    await first.close();

    const second = await PgliteDatabase.open({ dataDir });
    try {
      expect((await second.query('select body from notes')).rows).toEqual([{ body: 'kept' }]);
    } finally {
      await second.close();
    }
  });
});

describe('defaultPgliteDataDir', () => {
  it('is .flywheel/<name>/pgdata under the given directory', () => {
    expect(defaultPgliteDataDir('curator', '/srv/app')).toBe('/srv/app/.flywheel/curator/pgdata');
  });

  it.each(['', '../etc', 'a/b', '.hidden'])('rejects the name %p', (name) => {
    expect(() => defaultPgliteDataDir(name, '/srv/app')).toThrow(/invalid embedded database name/);
  });
});
