import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";

/** One Drizzle type for both drivers: service code never knows which one it runs on. */
export type Db = PgDatabase<PgQueryResultHKT, Record<string, never>>;

export interface Database {
  readonly kind: "postgres" | "pglite";
  readonly db: Db;
  /** Cheap round trip, for /ready. */
  ping(): Promise<boolean>;
  /** Apply one service's migrations under its own migrations table, safe with concurrent replicas. */
  migrate(opts: { folder: string; table: string }): Promise<void>;
  close(): Promise<void>;
}

export interface DbConfig {
  /** postgres:// URL; when absent the embedded PGlite is used. */
  url?: string;
  /** PGlite data folder, or "memory" to keep nothing. */
  pgliteDir?: string;
}

/** The rows of a `db.execute(sql…)` result: postgres.js returns them as the result, PGlite under `rows`. */
export const executedRows = <T>(result: unknown): T[] => (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];

/** Schema that holds every service's migrations table. */
export const MIGRATIONS_SCHEMA = "drizzle";

/**
 * A statement built once per database, the first time it runs there: Drizzle otherwise rebuilds a
 * query's SQL on every call (a tenth of the embedded process's CPU at connect, bench/README.md), and
 * a named prepared statement is also planned once per Postgres connection. Build it with
 * `sql.placeholder(…)` for the values and `.prepare(name)`.
 */
export function preparedOnce<T>(build: (db: Db) => T): (database: Database) => T {
  const byDatabase = new WeakMap<Database, T>();
  return (database) => {
    let statement = byDatabase.get(database);
    if (statement === undefined) byDatabase.set(database, (statement = build(database.db)));
    return statement;
  };
}
