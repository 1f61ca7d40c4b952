import { defaultPgliteDataDir, PgliteDatabase } from './pglite-database';
import { PostgresDatabase } from './postgres-database';
import { type SqlDatabase } from './sql-database';

export interface CreateSqlDatabaseOptions {
  /** PGlite data directory; wins over `name` */
  dataDir?: string;
  /** PGlite data directory `.flywheel/<name>/pgdata` under the working directory */
  name?: string;
}

/**
 * Postgres when `DATABASE_URL` is set, else embedded PGlite: in `dataDir`, else in
 * `.flywheel/<name>/pgdata`, else in memory (nothing survives the process).
 */
export async function createSqlDatabase(
  env: { DATABASE_URL?: string },
  opts: CreateSqlDatabaseOptions = {},
): Promise<SqlDatabase> {
  const url = env.DATABASE_URL?.trim();
  if (url) return new PostgresDatabase({ connectionString: url });
  const dataDir = opts.dataDir ?? (opts.name === undefined ? undefined : defaultPgliteDataDir(opts.name));
  return PgliteDatabase.open({ dataDir });
}
