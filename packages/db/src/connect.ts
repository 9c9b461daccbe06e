import type { Database, DbConfig } from "./db.ts";
import { createPostgres } from "./db-postgres.ts";
import { createPglite } from "./db-pglite.ts";

/** Postgres when a URL is given, otherwise the embedded PGlite. */
export async function connectDatabase(cfg: DbConfig): Promise<Database> {
  if (cfg.url) return createPostgres(cfg.url);
  return createPglite(cfg.pgliteDir ?? ".data/pglite");
}

/**
 * Shares one Database among the services of one process (PGlite is single-connection and a file
 * can be opened once), closing it when the last user closes.
 */
export function sharedDatabase(inner: Database): () => Database {
  let users = 0;
  return () => {
    users++;
    let closed = false;
    return {
      ...inner,
      close: async () => {
        if (closed) return;
        closed = true;
        if (--users === 0) await inner.close();
      },
    };
  };
}
