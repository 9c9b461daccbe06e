import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import type { PGlite } from "@electric-sql/pglite";
import { MIGRATIONS_SCHEMA, type Database, type Db } from "./db.ts";
import { PgliteRemote } from "./pglite-remote.ts";

/**
 * Embedded Postgres (WASM) for the one-process developer mode; one instance serves every service.
 * It runs in its own thread (`pglite-thread.ts`). A new database (`memory`, or a folder without
 * one) starts from the blank cluster of `blankDataDir` instead of running initdb (4 s of the 5.6 s
 * cold start on this machine).
 */
export async function createPglite(dir: string): Promise<Database> {
  const remote = await PgliteRemote.open(dir);
  // Drizzle calls only the part of PGlite's client that the remote has.
  const client = remote as unknown as PGlite;
  const db = drizzle(client) as unknown as Db;
  // PGlite is one connection: run migrations one after another.
  let chain: Promise<void> = Promise.resolve();
  return {
    kind: "pglite",
    db,
    async ping() {
      try {
        await remote.query("select 1");
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
    close: () => remote.close(),
  };
}
