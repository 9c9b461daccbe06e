export * from "./db.ts";
export * from "./db-postgres.ts";
export * from "./db-pglite.ts";
export * from "./pglite-blank.ts";
export * from "./connect.ts";
export * from "./errors.ts";
export * from "./timing.ts";
export * from "./outbox-table.ts";
