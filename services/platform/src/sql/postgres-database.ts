import { createHash } from 'node:crypto';
import { getProcessLogger } from '../telemetry/logger';
import { type ClientBase, Pool, type PoolConfig, type QueryConfig, types } from 'pg';
import {
  guardedExecutor,
  type SqlDatabase,
  type SqlExecutor,
  type SqlQueryResult,
  TransactionScope,
} from './sql-database';

const DATE_OID = 1082;

/** pg's parsers, except `date` stays 'YYYY-MM-DD' (pg would make a Date at local midnight),
 * matching PGlite. Per pool, not global, so other pg users in the process are unaffected. */
const typeParsers = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') =>
    oid === DATE_OID ? (value: string) => value : types.getTypeParser(oid, format),
};

export interface PostgresDatabaseOptions extends Omit<PoolConfig, 'types'> {
  /** where idle-connection errors are reported (default: console) */
  logger?: Pick<Console, 'warn'>;
}

/**
 * Postgres through a `pg` Pool. Connections are opened on demand; while Postgres is down
 * calls fail after `connectionTimeoutMillis` (default here 5000 ms, pg's own default waits
 * forever) and the pool reconnects by itself once it is back.
 */
export class PostgresDatabase implements SqlDatabase {
  readonly kind = 'postgres';
  private readonly pool: Pool;
  private readonly scope = new TransactionScope();
  private closed = false;

  constructor({ logger = getProcessLogger('flywheel'), ...config }: PostgresDatabaseOptions) {
    this.pool = new Pool({ connectionTimeoutMillis: 5000, ...config, types: typeParsers });
    // an idle client losing its connection is reported here; without a listener it would crash
    this.pool.on('error', (err) => logger.warn(`postgres: idle connection failed: ${err.message}`));
  }

  async query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<SqlQueryResult<R>> {
    this.assertUsable('query');
    return runQuery<R>(this.pool, sql, params);
  }

  async exec(sql: string): Promise<void> {
    this.assertUsable('exec');
    await this.pool.query(sql);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    this.assertUsable('transaction');
    const client = await this.pool.connect();
    let broken: Error | undefined;
    // a checked-out client whose connection dies between statements emits 'error'; the pool
    // listens only to idle clients, so without this the process would crash
    const onError = (err: Error): void => {
      broken = err;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await this.scope.run((isOpen) => fn(guardedExecutor(clientExecutor(client), isOpen)));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => {
        broken = rollbackError; // the connection is unusable: release(err) discards it
      });
      throw err;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  async ping(): Promise<void> {
    await this.query('select 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  private assertUsable(method: string): void {
    if (this.closed) throw new Error('the postgres database is closed');
    this.scope.assertOutside(method);
  }
}

function clientExecutor(client: ClientBase): SqlExecutor {
  return {
    query: <R>(sql: string, params?: unknown[]) => runQuery<R>(client, sql, params),
    exec: async (sql) => {
      await client.query(sql);
    },
  };
}

/**
 * Statements get a name (a hash of their text), so each connection parses and plans one once
 * and then only binds and executes it: the ingest consumers run the same dozen statements
 * thousands of times a second. Bounded, since every name costs memory on every connection:
 * past MAX_PREPARED distinct texts (generated SQL, e.g. filters) the rest run unnamed.
 */
const MAX_PREPARED = 1_000;
const preparedNames = new Map<string, string>();

function statementName(sql: string): string | undefined {
  let name = preparedNames.get(sql);
  if (name === undefined && preparedNames.size < MAX_PREPARED) {
    name = `fw_${createHash('sha1').update(sql).digest('base64url')}`;
    preparedNames.set(sql, name);
  }
  return name;
}

async function runQuery<R>(
  target: Pick<ClientBase, 'query'>,
  sql: string,
  params: unknown[] = [],
): Promise<SqlQueryResult<R>> {
  // the extended protocol even without parameters, so several statements in one query()
  // are refused here as they are by PGlite (`exec` is for scripts)
  const config: QueryConfig & { queryMode: 'extended' } = {
    name: statementName(sql),
    text: sql,
    values: params,
    queryMode: 'extended',
  };
  const result = await target.query(config);
  return { rows: result.rows, rowCount: result.rowCount ?? 0 };
}
