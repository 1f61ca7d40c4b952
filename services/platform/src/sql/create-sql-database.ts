import { defaultPgliteDataDir, PgliteDatabase } from './pglite-database';
import { PostgresDatabase } from './postgres-database';
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
  const url = options.url?.trim();
  if (url) return new PostgresDatabase({ connectionString: url });
  const dataDir =
    options.dataDir ?? (options.name === undefined ? undefined : defaultPgliteDataDir(options.name));
  return PgliteDatabase.open({ dataDir });
}
