import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PGlite, type Results, type Transaction } from '@electric-sql/pglite';
import {
  guardedExecutor,
  type SqlDatabase,
  type SqlExecutor,
  type SqlQueryResult,
  TransactionScope,
} from './sql-database';

const INT8_OID = 20;
const DATE_OID = 1082;
const asText = (value: string): string => value;

/** Directories open in this process: two PGlite instances on one directory corrupt it. */
const openDataDirs = new Set<string>();

/** `.flywheel/<name>/pgdata` under `cwd`: where the embedded database of `name` lives. */
export function defaultPgliteDataDir(name: string, cwd: string = process.cwd()): string {
  if (!/^[a-z0-9][a-z0-9_-]*$/i.test(name)) {
    throw new Error(`invalid embedded database name ${JSON.stringify(name)}: use letters, digits, - and _`);
  }
  return path.join(cwd, '.flywheel', name, 'pgdata');
}

/**
 * PGlite: Postgres 17 compiled to WASM, inside this process. File-backed when given a
 * directory, in memory otherwise (unit tests). It has a single connection: statements and
 * transactions run one at a time, in call order. Opening takes 1–3 s (WASM start), and
 * several more the first time a directory is initialised.
 *
 * Loads as CommonJS under Node and tsx. Under Jest its `import('fs')`-style calls need the
 * package to go through the swc transform (see the root jest.config.js).
 */
export class PgliteDatabase implements SqlDatabase {
  readonly kind = 'pglite';
  private readonly scope = new TransactionScope();
  private closed = false;

  private constructor(
    private readonly pg: PGlite,
    /** absolute data directory, undefined in memory */
    readonly dataDir: string | undefined,
  ) {}

  static async open(opts: { dataDir?: string } = {}): Promise<PgliteDatabase> {
    const dataDir = opts.dataDir === undefined ? undefined : path.resolve(opts.dataDir);
    if (dataDir !== undefined) {
      if (openDataDirs.has(dataDir)) {
        throw new Error(`the embedded database in ${dataDir} is already open in this process`);
      }
      openDataDirs.add(dataDir);
    }
    try {
      if (dataDir !== undefined) await mkdir(dataDir, { recursive: true });
      // same value shapes as the pg adapter: int8 and date stay strings
      const pg = await PGlite.create({ dataDir, parsers: { [INT8_OID]: asText, [DATE_OID]: asText } });
      return new PgliteDatabase(pg, dataDir);
    } catch (err) {
      if (dataDir !== undefined) openDataDirs.delete(dataDir);
      if (err instanceof Error && err.message.includes('experimental-vm-modules')) {
        throw new Error(
          'PGlite cannot start under Jest unless Jest transforms it: its CommonJS build loads Node ' +
            'built-ins with import(). Add @electric-sql/pglite to transform/transformIgnorePatterns.',
          { cause: err },
        );
      }
      throw err;
    }
  }

  async query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<SqlQueryResult<R>> {
    this.assertUsable('query');
    return toResult(await this.pg.query<R>(sql, params));
  }

  async exec(sql: string): Promise<void> {
    this.assertUsable('exec');
    await this.pg.exec(sql);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    this.assertUsable('transaction');
    // PGlite queues transactions and plain queries behind the open transaction, and rolls
    // back when the callback throws
    return this.pg.transaction((tx) =>
      this.scope.run((isOpen) => fn(guardedExecutor(transactionExecutor(tx), isOpen))),
    );
  }

  async ping(): Promise<void> {
    await this.query('select 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.pg.close();
    } finally {
      if (this.dataDir !== undefined) openDataDirs.delete(this.dataDir);
    }
  }

  private assertUsable(method: string): void {
    if (this.closed) throw new Error('the embedded (PGlite) database is closed');
    this.scope.assertOutside(method);
  }
}

function transactionExecutor(tx: Transaction): SqlExecutor {
  return {
    query: async <R>(sql: string, params?: unknown[]) => toResult(await tx.query<R>(sql, params)),
    exec: async (sql) => {
      await tx.exec(sql);
    },
  };
}

function toResult<R>(result: Results<R>): SqlQueryResult<R> {
  // PGlite reports affectedRows for writes only; pg's rowCount also counts returned rows
  return { rows: result.rows, rowCount: Math.max(result.rows.length, result.affectedRows ?? 0) };
}
