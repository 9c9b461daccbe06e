import { and, asc, eq, gt, sql } from "drizzle-orm";
import { AppError, type DataChange, type SvcContext, type SyncSince, type SyncSinceInput } from "@rt/contracts";
import { syncAllowed, type PlatformConfig } from "@rt/service-kit";
import { executedRows, type Database } from "@rt/db";
import { changes, heads } from "./schema.ts";

export interface SyncDeps {
  db: Database;
  config: Pick<PlatformConfig, "SYNC_TYPE_ROLES">;
}

/** Keep one numbered change; a repeat of the same seq changes nothing (its first copy stays). */
export async function storeChange({ db }: Pick<SyncDeps, "db">, tenantId: string, change: DataChange): Promise<{ stored: boolean }> {
  return db.db.transaction(async (tx) => {
    const inserted = await tx.insert(changes).values({ tenantId, entityType: change.entityType, seq: change.seq, change }).onConflictDoNothing().returning({ seq: changes.seq });
    await tx
      .insert(heads)
      .values({ tenantId, entityType: change.entityType, latestSeq: change.seq })
      .onConflictDoUpdate({ target: [heads.tenantId, heads.entityType], set: { latestSeq: sql`greatest(${heads.latestSeq}, excluded.latest_seq)` } });
    return { stored: inserted.length > 0 };
  });
}

/** One page of the caller's tenant's changes of a type after `afterSeq`, in seq order. */
export async function changesSince({ db, config }: SyncDeps, ctx: SvcContext, input: SyncSinceInput): Promise<SyncSince> {
  // Only for types the caller may join: a restricted type's history is as private as its room.
  if (!syncAllowed(input.entityType, ctx.roles, config.SYNC_TYPE_ROLES)) throw new AppError("FORBIDDEN", `your roles may not read data-sync type ${input.entityType}`);
  const [head] = await db.db
    .select()
    .from(heads)
    .where(and(eq(heads.tenantId, ctx.tenantId), eq(heads.entityType, input.entityType)));
  const rows = await db.db
    .select({ change: changes.change })
    .from(changes)
    .where(and(eq(changes.tenantId, ctx.tenantId), eq(changes.entityType, input.entityType), gt(changes.seq, input.afterSeq)))
    .orderBy(asc(changes.seq))
    .limit(input.limit);
  return {
    changes: rows.map((r) => r.change as DataChange),
    latestSeq: head?.latestSeq ?? 0,
    // Something after afterSeq was pruned: the client cannot catch up exactly.
    complete: input.afterSeq >= (head?.prunedThrough ?? 0),
  };
}

/** Drop changes stored before `before`, remembering per type the highest seq dropped. */
export async function prune({ db }: Pick<SyncDeps, "db">, before: Date): Promise<number> {
  const result = await db.db.execute(sql`
    with dropped as (
      delete from ${changes} where ${changes.storedAt} < ${before.toISOString()}::timestamptz
      returning tenant_id, entity_type, seq
    ), marks as (
      insert into ${heads} (tenant_id, entity_type, pruned_through)
      select tenant_id, entity_type, max(seq) from dropped group by tenant_id, entity_type
      on conflict (tenant_id, entity_type) do update set pruned_through = greatest(${heads.prunedThrough}, excluded.pruned_through)
      returning 1
    )
    select count(*)::int as n from dropped`);
  return executedRows<{ n: number }>(result)[0]?.n ?? 0;
}
