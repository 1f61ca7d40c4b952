import { randomUUID } from 'node:crypto';
import { isUniqueViolation, migrate, MigrationError, type SqlDatabase } from '../sql';

export interface SqlContractTarget {
  /** the handle under test */
  db: SqlDatabase;
  /** a second handle on the same database (another pool; for the single-connection
   * embedded database, the same instance), for concurrency tests */
  peer: SqlDatabase;
  /** closes both handles and removes whatever the factory created */
  dispose(): Promise<void>;
}

/**
 * The behaviour every SqlDatabase adapter must share. Call inside a Jest test file. The
 * factory runs once for the suite (and once more for the close test); tests use their own
 * randomly named tables and migration components, so they never see each other's data.
 */
export function describeSqlContract(name: string, factory: () => Promise<SqlContractTarget>): void {
  describe(`SqlDatabase contract: ${name}`, () => {
    let target: SqlContractTarget;
    let db: SqlDatabase;

    beforeAll(async () => {
      target = await factory();
      db = target.db;
    });

    afterAll(async () => {
      await target?.dispose();
    });

    const unique = (base: string): string => `${base}_${randomUUID().replaceAll('-', '').slice(0, 16)}`;

    async function tableExists(table: string): Promise<boolean> {
      const { rows } = await db.query<{ oid: string | null }>('select to_regclass($1)::text as oid', [table]);
      return rows[0]?.oid != null;
    }

    describe('queries', () => {
      it('binds $n parameters and reports rowCount for reads and writes', async () => {
        const t = unique('items');
        await db.exec(`create table ${t} (id int primary key, label text not null)`);
        const inserted = await db.query<{ id: number }>(
          `insert into ${t} (id, label) values ($1, $2), ($3, $4) returning id`,
          [1, 'one', 2, "two's"],
        );
        expect(inserted.rowCount).toBe(2);
        expect(inserted.rows.map((r) => r.id).sort()).toEqual([1, 2]);

        const found = await db.query<{ label: string }>(`select label from ${t} where id = $1`, [2]);
        expect(found).toEqual({ rows: [{ label: "two's" }], rowCount: 1 });
        expect((await db.query(`update ${t} set label = $1`, ['x'])).rowCount).toBe(2);
        expect((await db.query(`delete from ${t} where id = $1`, [1])).rowCount).toBe(1);
        expect(await db.query(`select * from ${t} where id = $1`, [1])).toEqual({ rows: [], rowCount: 0 });
      });

      it('refuses several statements in query() and runs them with exec()', async () => {
        const t = unique('script');
        await expect(db.query(`create table ${t} (n int); insert into ${t} values (1)`)).rejects.toThrow();
        expect(await tableExists(t)).toBe(false);
        await db.exec(`create table ${t} (n int); insert into ${t} values (1); insert into ${t} values (2);`);
        expect((await db.query(`select n from ${t} order by n`)).rows).toEqual([{ n: 1 }, { n: 2 }]);
      });

      it('returns values in the same shapes on every adapter', async () => {
        const { rows } = await db.query(
          `select 7::int4 as int4, 9007199254740993::int8 as int8, 1.50::numeric(4,2) as num,
                  true as bool, array['a', 'b']::text[] as texts, date '2024-02-29' as day,
                  null::text as nothing, $1::text as param`,
          ['p'],
        );
        expect(rows).toEqual([
          {
            int4: 7,
            int8: '9007199254740993',
            num: '1.50',
            bool: true,
            texts: ['a', 'b'],
            day: '2024-02-29',
            nothing: null,
            param: 'p',
          },
        ]);
      });

      it('round-trips jsonb given as a JSON string', async () => {
        const t = unique('docs');
        await db.exec(`create table ${t} (id int primary key, body jsonb not null)`);
        const body = {
          name: 'Zoë ✓',
          tags: ['a', 'b'],
          nested: { n: 1.5, none: null, ok: false },
          list: [{ x: 1 }],
        };
        await db.query(`insert into ${t} values (1, $1::jsonb), (2, $2::jsonb)`, [
          JSON.stringify(body),
          JSON.stringify([1, 'two']),
        ]);
        const { rows } = await db.query<{ body: unknown; name: string }>(
          `select body, body->>'name' as name from ${t} order by id`,
        );
        expect(rows).toEqual([
          { body, name: 'Zoë ✓' },
          { body: [1, 'two'], name: null },
        ]);
        const matched = await db.query(`select id from ${t} where body @> $1::jsonb`, [
          JSON.stringify({ tags: ['b'] }),
        ]);
        expect(matched.rows).toEqual([{ id: 1 }]);
      });

      it('round-trips timestamptz as Date with millisecond precision', async () => {
        const t = unique('events');
        await db.exec(`create table ${t} (id int primary key, at timestamptz not null default now())`);
        const early = new Date('2024-03-10T01:59:59.123Z');
        const late = new Date('2024-03-10T12:00:00.456Z');
        await db.query(`insert into ${t} (id, at) values (1, $1), (2, $2)`, [late, early]);
        await db.query(`insert into ${t} (id) values (3)`);

        const { rows } = await db.query<{ id: number; at: Date }>(`select id, at from ${t} order by at`);
        expect(rows.map((r) => r.id)).toEqual([2, 1, 3]);
        expect(rows[0]?.at).toBeInstanceOf(Date);
        expect(rows[0]?.at.toISOString()).toBe(early.toISOString());
        expect(rows[1]?.at.toISOString()).toBe(late.toISOString());
        expect(Math.abs((rows[2]?.at.getTime() ?? 0) - Date.now())).toBeLessThan(60_000);
        const after = await db.query(`select id from ${t} where at > $1 and id < 3`, [early]);
        expect(after.rows).toEqual([{ id: 1 }]);
      });
    });

    describe('transactions', () => {
      it('commits when the callback resolves and returns its value', async () => {
        const t = unique('tx_commit');
        await db.exec(`create table ${t} (n int)`);
        const value = await db.transaction(async (tx) => {
          await tx.query(`insert into ${t} values ($1)`, [1]);
          await tx.exec(`insert into ${t} values (2)`);
          return (await tx.query<{ c: number }>(`select count(*)::int as c from ${t}`)).rows[0]?.c;
        });
        expect(value).toBe(2);
        expect((await db.query(`select n from ${t} order by n`)).rows).toEqual([{ n: 1 }, { n: 2 }]);
      });

      it('rolls back and rethrows when the callback throws', async () => {
        const t = unique('tx_rollback');
        await db.exec(`create table ${t} (n int)`);
        const boom = new Error('boom');
        await expect(
          db.transaction(async (tx) => {
            await tx.query(`insert into ${t} values (1)`);
            throw boom;
          }),
        ).rejects.toBe(boom);
        expect((await db.query(`select * from ${t}`)).rowCount).toBe(0);
      });

      it('never shows another caller a write that is later rolled back', async () => {
        const t = unique('tx_isolation');
        await db.exec(`create table ${t} (n int)`);
        let inserted!: () => void;
        const insertedSignal = new Promise<void>((resolve) => (inserted = resolve));
        let issued!: () => void;
        const issuedSignal = new Promise<void>((resolve) => (issued = resolve));
        const transaction = db.transaction(async (tx) => {
          await tx.query(`insert into ${t} values (1)`);
          inserted();
          await issuedSignal;
          await tx.query('select 1');
          throw new Error('roll back');
        });
        await insertedSignal;
        // issued from outside while the transaction is open: Postgres answers it from another
        // connection; the single-connection PGlite must queue it behind the transaction
        const outside = target.peer.query(`select n from ${t}`);
        issued();
        await expect(transaction).rejects.toThrow('roll back');
        expect(await outside).toEqual({ rows: [], rowCount: 0 });
      });

      it('loses no update when 20 transactions increment one row at once', async () => {
        const t = unique('tx_counter');
        await db.exec(
          `create table ${t} (id int primary key, n int not null); insert into ${t} values (1, 0)`,
        );
        await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            (i % 2 ? target.peer : db).transaction(async (tx) => {
              const { rows } = await tx.query<{ n: number }>(`select n from ${t} where id = 1 for update`);
              await tx.query(`update ${t} set n = $1 where id = 1`, [(rows[0]?.n ?? 0) + 1]);
            }),
          ),
        );
        expect((await db.query(`select n from ${t}`)).rows).toEqual([{ n: 20 }]);
      });

      it('refuses the database itself inside its transaction callback, and a tx used after the end', async () => {
        const t = unique('tx_misuse');
        await db.exec(`create table ${t} (n int)`);
        await expect(
          db.transaction(async (tx) => {
            await tx.query(`insert into ${t} values (1)`);
            await db.query(`insert into ${t} values (2)`);
          }),
        ).rejects.toThrow(/use the tx/);
        expect((await db.query(`select * from ${t}`)).rowCount).toBe(0);

        const leaked = await db.transaction(async (tx) => tx);
        await expect(leaked.query('select 1')).rejects.toThrow(/already ended/);
      });
    });

    describe('unique violations', () => {
      it('surface as code 23505 with the constraint name', async () => {
        const t = unique('uniq');
        await db.exec(
          `create table ${t} (id int constraint ${t}_pk primary key, email text constraint ${t}_email unique)`,
        );
        await db.query(`insert into ${t} values (1, 'a@x')`);
        const duplicateId = await db.query(`insert into ${t} values (1, 'b@x')`).catch((err: unknown) => err);
        expect(duplicateId).toMatchObject({ code: '23505', constraint: `${t}_pk` });
        expect(isUniqueViolation(duplicateId)).toBe(true);
        expect(isUniqueViolation(duplicateId, `${t}_pk`)).toBe(true);
        expect(isUniqueViolation(duplicateId, `${t}_email`)).toBe(false);

        const syntax = await db.query('selec 1').catch((err: unknown) => err);
        expect(syntax).toMatchObject({ code: '42601' });
        expect(isUniqueViolation(syntax)).toBe(false);
      });

      it('roll back the transaction they happen in and leave the database usable', async () => {
        const t = unique('uniq_tx');
        await db.exec(`create table ${t} (id int primary key)`);
        await db.query(`insert into ${t} values (1)`);
        const err = await db
          .transaction(async (tx) => {
            await tx.query(`insert into ${t} values (2)`);
            await tx.query(`insert into ${t} values (1)`);
          })
          .catch((e: unknown) => e);
        expect(isUniqueViolation(err)).toBe(true);
        expect((await db.query(`select id from ${t}`)).rows).toEqual([{ id: 1 }]);
        // idempotent sink pattern: insert ... on conflict do nothing reports 0 rows on a repeat
        expect((await db.query(`insert into ${t} values (1) on conflict do nothing`)).rowCount).toBe(0);
        expect((await db.query(`insert into ${t} values (3) on conflict do nothing`)).rowCount).toBe(1);
      });
    });

    describe('migrate', () => {
      async function recorded(component: string): Promise<string[]> {
        const { rows } = await db.query<{ id: string; applied_at: Date }>(
          'select id, applied_at from flywheel_migrations where component = $1 order by id',
          [component],
        );
        for (const row of rows) expect(row.applied_at).toBeInstanceOf(Date);
        return rows.map((r) => r.id);
      }

      it('applies pending migrations once, in id order, and records them', async () => {
        const component = unique('comp');
        const t = unique('migrated');
        const first = {
          id: '0001_create',
          sql: `create table ${t} (seq serial, step text); insert into ${t} (step) values ('0001')`,
        };
        const second = { id: '0002_fill', sql: `insert into ${t} (step) values ('0002')` };

        expect(await migrate(db, { component, migrations: [second, first] })).toEqual([
          '0001_create',
          '0002_fill',
        ]);
        expect((await db.query(`select step from ${t} order by seq`)).rows).toEqual([
          { step: '0001' },
          { step: '0002' },
        ]);
        expect(await recorded(component)).toEqual(['0001_create', '0002_fill']);

        expect(await migrate(db, { component, migrations: [first, second] })).toEqual([]);
        const third = { id: '0003_more', sql: `insert into ${t} (step) values ('0003')` };
        expect(await migrate(db, { component, migrations: [first, second, third] })).toEqual(['0003_more']);
        expect((await db.query(`select step from ${t} order by seq`)).rowCount).toBe(3);
      });

      it('keeps the migrations of different components apart', async () => {
        const [a, b] = [unique('comp_a'), unique('comp_b')];
        const [ta, tb] = [unique('ta'), unique('tb')];
        expect(
          await migrate(db, {
            component: a,
            migrations: [{ id: '0001', sql: `create table ${ta} (n int)` }],
          }),
        ).toEqual(['0001']);
        expect(
          await migrate(db, {
            component: b,
            migrations: [{ id: '0001', sql: `create table ${tb} (n int)` }],
          }),
        ).toEqual(['0001']);
        expect([await tableExists(ta), await tableExists(tb)]).toEqual([true, true]);
      });

      it('rolls back a failing migration, names it, and applies it once fixed', async () => {
        const component = unique('comp');
        const [good, partial] = [unique('good'), unique('partial')];
        const ok = { id: '0001_ok', sql: `create table ${good} (n int)` };
        const broken = {
          id: '0002_broken',
          sql: `create table ${partial} (n int); insert into no_such_table values (1)`,
        };

        const err = await migrate(db, { component, migrations: [ok, broken] }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(MigrationError);
        expect((err as Error).message).toContain(`${component}/0002_broken`);
        expect((err as Error).cause).toMatchObject({ code: '42P01' });
        expect(await tableExists(good)).toBe(true);
        expect(await tableExists(partial)).toBe(false);
        expect(await recorded(component)).toEqual(['0001_ok']);

        const fixed = { id: '0002_broken', sql: `create table ${partial} (n int)` };
        expect(await migrate(db, { component, migrations: [ok, fixed] })).toEqual(['0002_broken']);
        expect(await tableExists(partial)).toBe(true);
      });

      it('applies each migration exactly once when two handles migrate at once', async () => {
        const component = unique('comp');
        const log = unique('log');
        await db.exec(`create table ${log} (id text not null)`);
        // not idempotent on purpose: a second run would fail (create) or double a row (insert)
        const migrations = Array.from({ length: 6 }, (_, i) => {
          const id = `000${i}`;
          return { id, sql: `create table ${log}_${i} (n int); insert into ${log} values ('${id}')` };
        });

        const [mine, theirs] = await Promise.all([
          migrate(db, { component, migrations }),
          migrate(target.peer, { component, migrations }),
        ]);
        expect([...mine, ...theirs].sort()).toEqual(migrations.map((m) => m.id));
        const { rows } = await db.query<{ id: string }>(`select id from ${log} order by id`);
        expect(rows.map((r) => r.id)).toEqual(migrations.map((m) => m.id));
        expect(await recorded(component)).toEqual(migrations.map((m) => m.id));
      });
    });

    it('answers ping while open and refuses calls once closed', async () => {
      const own = await factory();
      try {
        await expect(own.db.ping()).resolves.toBeUndefined();
        await own.db.close();
        await own.db.close(); // idempotent
        await expect(own.db.ping()).rejects.toThrow(/closed/);
        await expect(own.db.query('select 1')).rejects.toThrow(/closed/);
        await expect(own.db.transaction(async () => 1)).rejects.toThrow(/closed/);
      } finally {
        await own.dispose();
      }
    });
  });
}
