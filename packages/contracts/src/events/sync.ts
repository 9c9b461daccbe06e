import { z } from "zod";
import { UserId } from "../ids.ts";
import { Iso } from "./common.ts";

export const EntityType = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.:-]+$/, "letters, digits, _ . : - only");
export const SyncSubscribe = z.union([
  z.object({ entityTypes: z.array(EntityType).min(1).max(100) }),
  z
    .array(EntityType)
    .min(1)
    .max(100)
    .transform((entityTypes) => ({ entityTypes })),
]);
export type SyncSubscribe = z.output<typeof SyncSubscribe>;

export const ChangeAction = z.enum(["CREATE", "UPDATE", "DELETE"]);
export const DataChange = z.object({
  entityType: z.string(),
  action: ChangeAction,
  data: z.unknown(),
  userId: z.string().nullable(),
  version: z.union([z.number(), z.string()]).optional(),
  seq: z.number().int().positive(),
  timestamp: Iso,
});
export type DataChange = z.infer<typeof DataChange>;

/** What a publisher gives; seq and timestamp are set by the platform. */
export const DataChangeInput = z.object({
  entityType: EntityType,
  action: ChangeAction,
  data: z.unknown(),
  userId: UserId.nullish().transform((v) => v ?? null),
  version: z.union([z.number(), z.string()]).optional(),
});
export type DataChangeInput = z.infer<typeof DataChangeInput>;

/** `sync:since`: the stored changes of one entity type after `afterSeq`, a page at a time. */
export const SyncSinceInput = z.object({
  entityType: EntityType,
  afterSeq: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  limit: z.number().int().min(1).max(500).default(100),
});
export type SyncSinceInput = z.output<typeof SyncSinceInput>;
/**
 * `changes` in seq order; `latestSeq` the highest stored seq of the type; `complete: false` means
 * changes after `afterSeq` were pruned (older than SYNC_RETENTION): reload instead of catching up.
 * More pages remain while the last change's seq is below `latestSeq`.
 */
export const SyncSince = z.object({ changes: z.array(DataChange), latestSeq: z.number().int().nonnegative(), complete: z.boolean() });
export type SyncSince = z.infer<typeof SyncSince>;
/** sync `store`: one numbered data-change, kept before it is delivered. */
export const SyncStoreInput = DataChange;
export const SyncStored = z.object({ stored: z.boolean() });

/** `join-user-room`: seed 001 may send its user id (bare or as an object); it must be the caller's. */
export const JoinUserRoom = z
  .union([
    z.object({ userId: UserId.optional() }),
    UserId.transform((userId) => ({ userId })),
    z
      .undefined()
      .transform(() => ({ userId: undefined }))
      .describe("nothing (the caller's own room)"),
  ])
  .transform((v) => ({ userId: v.userId }));

export const UserActivityInput = z.object({
  action: z.string().min(1).max(100),
  entityType: z.string().max(64).optional(),
  entityId: z.union([z.string().max(128), z.number()]).optional(),
});
export const UserActivity = UserActivityInput.extend({ userId: z.string(), name: z.string(), timestamp: Iso });

export const Pong = z.object({ timestamp: Iso });

export const SystemNotification = z.object({
  title: z.string().min(1).max(500),
  message: z.string().max(5000),
  level: z.enum(["info", "warning", "error", "success"]).default("info"),
});
export type SystemNotification = z.infer<typeof SystemNotification>;
