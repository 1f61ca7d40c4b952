import { type SqlDatabase } from './sql-database';

export interface CreateSqlDatabaseOptions {
  /** a Postgres connection string (a service's DATABASE_URL); unset or blank: PGlite */
  url?: string;
  /** PGlite data directory; wins over `name` */
  dataDir?: string;
  /** PGlite data directory `.flywheel/<name>/pgdata` under the working directory */
  name?: string;
}

/**
 * Postgres when `url` is set, else embedded PGlite: in `dataDir`, else in
 * `.flywheel/<name>/pgdata`, else in memory (nothing survives the process).
 */
export async function createSqlDatabase(options: CreateSqlDatabaseOptions = {}): Promise<SqlDatabase> {
  // the adapter's module (and its driver) loads only when chosen
  const url = options.url?.trim();
  if (url) {
    const { PostgresDatabase } = await import('./postgres-database.js');
    return new PostgresDatabase({ connectionString: url });
  }
  const { defaultPgliteDataDir, PgliteDatabase } = await import('./pglite-database.js');
  const dataDir =
    options.dataDir ?? (options.name === undefined ? undefined : defaultPgliteDataDir(options.name));
  return PgliteDatabase.open({ dataDir });
}
