import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The SQL port: Postgres in production, PGlite (Postgres compiled to WASM, in-process)
 * embedded. Both speak the same dialect; `describeSqlContract` pins what they share.
 *
 * Values come back alike on both adapters: int8 and numeric as strings, date as
 * 'YYYY-MM-DD', timestamptz as Date, json/jsonb parsed. Pass a json(b) parameter as
 * `JSON.stringify(value)` (pg would turn a JS array into a Postgres array literal).
 */
export interface SqlQueryResult<R> {
  rows: R[];
  /** rows returned, or rows changed by INSERT/UPDATE/DELETE without RETURNING; 0 for DDL */
  rowCount: number;
}

export interface SqlExecutor {
  /** one statement, with $1… parameters */
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<SqlQueryResult<R>>;
  /** a script of one or more statements, no parameters (DDL, migrations) */
  exec(sql: string): Promise<void>;
}

export interface SqlDatabase extends SqlExecutor {
  readonly kind: 'postgres' | 'pglite';
  /** runs `fn` in one transaction: commits when it resolves, rolls back and rethrows when it
   * throws. Inside `fn` use only `tx`: calling the database itself throws, since on the
   * single-connection PGlite it would deadlock (and on Postgres it would escape the
   * transaction). Transactions on PGlite run one at a time. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** resolves when the database answers */
  ping(): Promise<void>;
  /** idempotent; later calls reject */
  close(): Promise<void>;
}

export const UNIQUE_VIOLATION = '23505';

/** True for a Postgres unique_violation (SQLSTATE 23505) from either adapter, optionally
 * only for the named constraint. Idempotent sinks treat it as "already written". */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, constraint: violated } = err as { code?: unknown; constraint?: unknown };
  return code === UNIQUE_VIOLATION && (constraint === undefined || violated === constraint);
}

/**
 * Tracks which async flows run inside one of a database's transactions, so a stray call to
 * the database from within the callback fails loudly instead of deadlocking, and a `tx`
 * kept past the end of its transaction is refused.
 */
export class TransactionScope {
  private readonly storage = new AsyncLocalStorage<{ open: boolean }>();

  async run<T>(body: (isOpen: () => boolean) => Promise<T>): Promise<T> {
    const state = { open: true };
    try {
      return await this.storage.run(state, () => body(() => state.open));
    } finally {
      state.open = false;
    }
  }

  assertOutside(method: string): void {
    if (this.storage.getStore()?.open) {
      throw new Error(
        `db.${method}() was called inside db.transaction(): use the tx passed to the callback ` +
          '(on the embedded database this call would wait for the transaction forever)',
      );
    }
  }
}

/** Wraps a transaction's executor so it refuses work once the transaction has ended. */
export function guardedExecutor(inner: SqlExecutor, isOpen: () => boolean): SqlExecutor {
  const assertOpen = () => {
    if (!isOpen()) throw new Error('this transaction has already ended: its tx can no longer be used');
  };
  return {
    query: async <R>(sql: string, params?: unknown[]) => {
      assertOpen();
      return inner.query<R>(sql, params);
    },
    exec: async (sql) => {
      assertOpen();
      return inner.exec(sql);
    },
  };
}
