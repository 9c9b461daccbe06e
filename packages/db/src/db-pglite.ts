import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import { MIGRATIONS_SCHEMA, type Database, type Db } from "./db.ts";

/** Embedded Postgres (WASM) for the one-process developer mode; one instance serves every service. */
export async function createPglite(dir: string): Promise<Database> {
  if (dir !== "memory") mkdirSync(dir, { recursive: true });
  const client = dir === "memory" ? new PGlite() : new PGlite(dir);
  await client.waitReady;
  const db = drizzle(client) as unknown as Db;
  // PGlite is one connection: run migrations one after another.
  let chain: Promise<void> = Promise.resolve();
  return {
    kind: "pglite",
    db,
    async ping() {
      try {
        await client.query("select 1");
        return true;
      } catch {
        return false;
      }
    },
    migrate({ folder, table }) {
      const run = chain.then(() => migrate(drizzle(client), { migrationsFolder: folder, migrationsTable: table, migrationsSchema: MIGRATIONS_SCHEMA }));
      chain = run.catch(() => {});
      return run;
    },
    async close() {
      if (!client.closed) await client.close();
    },
  };
}
