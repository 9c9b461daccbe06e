import type { Database, DbConfig } from "./db.ts";
import { createPostgres } from "./db-postgres.ts";
import { createPglite } from "./db-pglite.ts";

/** Postgres when a URL is given, otherwise the embedded PGlite. */
export async function connectDatabase(cfg: DbConfig): Promise<Database> {
  if (cfg.url) return createPostgres(cfg.url);
  return createPglite(cfg.pgliteDir ?? ".data/pglite");
}
