import { migrate } from './migrate';
import { PgliteDatabase } from './pglite-database';

describe('migrate input checks', () => {
  let db: PgliteDatabase;

  beforeAll(async () => {
    db = await PgliteDatabase.open();
  });

  afterAll(async () => {
    await db.close();
  });

  const create = (table: string) => `create table ${table} (n int)`;

  it.each([
    [{ component: ' ', migrations: [{ id: '0001', sql: create('a1') }] }, /component must not be empty/],
    [{ component: 'c', migrations: [{ id: '', sql: create('a2') }] }, /empty id/],
    [
      {
        component: 'c',
        migrations: [
          { id: '0001', sql: create('a3') },
          { id: '0001', sql: create('a4') },
        ],
      },
      /two migrations with id 0001/,
    ],
  ])('rejects a bad plan before applying anything (%#)', async (plan, message) => {
    await expect(migrate(db, plan)).rejects.toThrow(message);
    const { rows } = await db.query<{ t: string | null }>(
      `select coalesce(to_regclass('a1'), to_regclass('a2'), to_regclass('a3'), to_regclass('a4'))::text as t`,
    );
    expect(rows).toEqual([{ t: null }]);
  });

  it('returns nothing for an empty plan', async () => {
    expect(await migrate(db, { component: 'empty', migrations: [] })).toEqual([]);
  });
});
