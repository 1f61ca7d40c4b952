export {
  type SqlDatabase,
  type SqlExecutor,
  type SqlQueryResult,
  isUniqueViolation,
  UNIQUE_VIOLATION,
} from './sql-database';
// types only: createSqlDatabase loads the adapter it needs (pg or PGlite), so a service without
// SQL (the gateway) loads neither; import the classes from their files to construct one directly
export type { PostgresDatabase, PostgresDatabaseOptions } from './postgres-database';
export type { PgliteDatabase } from './pglite-database';
export { createSqlDatabase, type CreateSqlDatabaseOptions } from './create-sql-database';
export { migrate, MigrationError, type Migration, type MigrationPlan } from './migrate';
