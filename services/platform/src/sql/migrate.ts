import { type SqlDatabase, type SqlExecutor } from './sql-database';

export interface Migration {
  /** sorts in apply order: zero-pad it, e.g. '0001_create_cases' */
  id: string;
  /** one or more statements; runs in a transaction, so nothing like CREATE INDEX CONCURRENTLY */
  sql: string;
}

export interface MigrationPlan {
  /** whose migrations these are (e.g. 'curator'): each component has its own id sequence */
  component: string;
  migrations: readonly Migration[];
}

/** A migration's SQL failed; it was rolled back and not recorded. `cause` is the database error. */
export class MigrationError extends Error {
  readonly code = 'MIGRATION_FAILED';
  constructor(
    readonly component: string,
    readonly migrationId: string,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`migration ${component}/${migrationId} failed: ${reason}`, { cause });
    this.name = 'MigrationError';
  }
}

/** First key of every advisory lock taken here ('Flyw'), so they stay clear of other users'. */
const LOCK_NAMESPACE = 0x466c7977;

/**
 * Applies, in id order, the migrations of `component` not yet recorded in
 * `flywheel_migrations` (in the current schema), each in its own transaction together with
 * its record; returns the ids this call applied. Processes migrating at once serialize on a
 * transaction-scoped advisory lock per schema and component, and each re-checks the record
 * under the lock, so every migration runs exactly once.
 */
export async function migrate(db: SqlDatabase, plan: MigrationPlan): Promise<string[]> {
  const { component } = plan;
  const migrations = validate(plan);
  await db.transaction(async (tx) => {
    await lock(tx, 'flywheel_migrations');
    await tx.exec(`
      create table if not exists flywheel_migrations (
        component text not null,
        id text not null,
        applied_at timestamptz not null default now(),
        primary key (component, id)
      )`);
  });

  const recorded = await db.query<{ id: string }>('select id from flywheel_migrations where component = $1', [
    component,
  ]);
  const done = new Set(recorded.rows.map((row) => row.id));
  const applied: string[] = [];
  for (const migration of migrations) {
    if (done.has(migration.id)) continue;
    const ran = await db.transaction(async (tx) => {
      await lock(tx, `component:${component}`);
      const again = await tx.query('select 1 from flywheel_migrations where component = $1 and id = $2', [
        component,
        migration.id,
      ]);
      if (again.rowCount > 0) return false; // another process got here first
      try {
        await tx.exec(migration.sql);
      } catch (err) {
        throw new MigrationError(component, migration.id, err);
      }
      await tx.query('insert into flywheel_migrations (component, id) values ($1, $2)', [
        component,
        migration.id,
      ]);
      return true;
    });
    if (ran) applied.push(migration.id);
  }
  return applied;
}

function lock(tx: SqlExecutor, name: string): Promise<unknown> {
  return tx.query(`select pg_advisory_xact_lock($1, hashtext(current_schema() || '/' || $2::text))`, [
    LOCK_NAMESPACE,
    name,
  ]);
}

function validate({ component, migrations }: MigrationPlan): Migration[] {
  if (!component.trim()) throw new Error('migrate: component must not be empty');
  const seen = new Set<string>();
  for (const { id } of migrations) {
    if (!id.trim()) throw new Error(`migrate: ${component} has a migration with an empty id`);
    if (seen.has(id)) throw new Error(`migrate: ${component} has two migrations with id ${id}`);
    seen.add(id);
  }
  return [...migrations].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
