import postgres from "postgres";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import { MIGRATIONS_SCHEMA, type Database, type Db } from "./db.ts";

/** Advisory lock key shared by every service's migrator: replicas starting together take turns. */
const MIGRATION_LOCK = 7_240_001;

export function createPostgres(url: string, opts: { max?: number } = {}): Database {
  const sql = postgres(url, {
    max: opts.max ?? 10,
    onnotice: () => {},
    connect_timeout: 5,
    // A restarted Postgres leaves dead sockets behind; recycle idle ones.
    idle_timeout: 30,
  });
  const db = drizzle(sql) as unknown as Db;
  return {
    kind: "postgres",
    db,
    async ping() {
      try {
        await sql`select 1`;
        return true;
      } catch {
        return false;
      }
    },
    async migrate({ folder, table }) {
      const one = postgres(url, { max: 1, onnotice: () => {} });
      try {
        await one`select pg_advisory_lock(${MIGRATION_LOCK})`;
        await migrate(drizzle(one), { migrationsFolder: folder, migrationsTable: table, migrationsSchema: MIGRATIONS_SCHEMA });
      } finally {
        await one`select pg_advisory_unlock(${MIGRATION_LOCK})`.catch(() => {});
        await one.end();
      }
    },
    async close() {
      await sql.end({ timeout: 5 });
    },
  };
}
