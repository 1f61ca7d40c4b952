export {
  type SqlDatabase,
  type SqlExecutor,
  type SqlQueryResult,
  isUniqueViolation,
  UNIQUE_VIOLATION,
} from './sql-database';
export { PostgresDatabase, type PostgresDatabaseOptions } from './postgres-database';
export { PgliteDatabase, defaultPgliteDataDir } from './pglite-database';
export { createSqlDatabase, type CreateSqlDatabaseOptions } from './create-sql-database';
export { migrate, MigrationError, type Migration, type MigrationPlan } from './migrate';
