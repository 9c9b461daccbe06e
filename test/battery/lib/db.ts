/**
 * Fingerprints of the platform's tables, to prove a refused request changed nothing: per table the
 * row count and an md5 over every row (as text, sorted) of the tenants under test.
 */
import { sql } from "drizzle-orm";
import type { Database } from "@rt/db";

export const TABLES = [
  "chat.rooms",
  "chat.members",
  "chat.messages",
  "calls.calls",
  "calls.call_participants",
  "jobs.jobs",
  "jobs.job_status_history",
  "notifications.notifications",
  "notifications.artisan_requests",
  "payments.invoices",
  "payments.processed_webhook_events",
] as const;
export type Table = (typeof TABLES)[number];

export type Snapshot = Record<string, { rows: number; md5: string }>;

/** Rows of a raw query on either driver (postgres.js answers an array, PGlite `{ rows }`). */
export async function query<T = Record<string, unknown>>(db: Database, text: string): Promise<T[]> {
  const r = (await db.db.execute(sql.raw(text))) as unknown;
  if (Array.isArray(r)) return r as T[];
  return ((r as { rows?: T[] }).rows ?? []) as T[];
}

const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;

export async function snapshot(db: Database, tenants: string[], tables: readonly Table[] = TABLES): Promise<Snapshot> {
  const out: Snapshot = {};
  const where = `where t.tenant_id in (${tenants.map(lit).join(",")})`;
  for (const table of tables) {
    const [row] = await query<{ n: number | string; h: string }>(
      db,
      `select count(*)::int as n, md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as h from ${table} t ${where}`,
    );
    out[table] = { rows: Number(row?.n ?? 0), md5: row?.h ?? "" };
  }
  return out;
}

/** Tables whose rows differ between two snapshots. */
export function changed(a: Snapshot, b: Snapshot): string[] {
  return Object.keys(a)
    .filter((k) => a[k]!.md5 !== b[k]?.md5 || a[k]!.rows !== b[k]?.rows)
    .map((k) => `${k} ${a[k]!.rows}->${b[k]?.rows}`);
}

export const totalRows = (s: Snapshot) => Object.values(s).reduce((n, t) => n + t.rows, 0);
