import { and, asc, eq, isNotNull, isNull, ne, sql } from "drizzle-orm";
import {
  AppError,
  toRoom,
  toUser,
  type Call,
  type CallInitiate,
  type CallParticipants,
  type CallSignalInput,
  type CallStatus,
  type ServerEventPayload,
  type SvcContext,
} from "@rt/contracts";
import type { Bus } from "@rt/bus";
import { preparedOnce, type Database, type Db } from "@rt/db";
import { deliver, requireRoomMember } from "@rt/service-kit";
import { callParticipants, calls } from "./schema.ts";

export interface CallsDeps {
  bus: Bus;
  db: Database;
}

type CallRow = typeof calls.$inferSelect;

/** Tell the call's room what happened to the call: `call:<step>`, delivered once per call and step (and per user for answers). */
function toCallRoom<E extends "call:initiated" | "call:answered" | "call:ended">(deps: CallsDeps, ctx: SvcContext, call: Call, event: E, id: string, data: ServerEventPayload<E>) {
  deliver(deps.bus, { id: `call:${call.id}:${id}`, tenantId: ctx.tenantId, target: toRoom(call.roomId), event, data });
}
/** A transaction handle or the database: both run the same queries. */
type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0] | Db;

async function toCall(tx: Tx, row: CallRow): Promise<Call> {
  const parts = await tx
    .select()
    .from(callParticipants)
    .where(and(eq(callParticipants.tenantId, row.tenantId), eq(callParticipants.callId, row.id)))
    .orderBy(asc(callParticipants.joinedAt), asc(callParticipants.userId));
  return {
    id: row.id,
    roomId: row.roomId,
    callType: row.callType,
    status: row.status,
    initiatedBy: row.initiatedBy,
    createdAt: row.createdAt.toISOString(),
    endedAt: row.endedAt?.toISOString() ?? null,
    participants: parts.map((p) => ({ userId: p.userId, joinedAt: p.joinedAt.toISOString(), leftAt: p.leftAt?.toISOString() ?? null })),
  };
}

async function findCall(tx: Tx, tenantId: string, callId: number, lock = false): Promise<CallRow> {
  const q = tx
    .select()
    .from(calls)
    .where(and(eq(calls.tenantId, tenantId), eq(calls.id, callId)));
  const [row] = lock ? await q.for("update") : await q;
  if (!row) throw new AppError("NOT_FOUND", "call not found");
  return row;
}

/** Read the call, then refuse callers who are not members of its room. */
async function memberCall(deps: CallsDeps, ctx: SvcContext, callId: number): Promise<CallRow> {
  const row = await findCall(deps.db.db, ctx.tenantId, callId);
  await requireRoomMember(deps.bus, ctx, row.roomId);
  return row;
}

export async function initiateCall(deps: CallsDeps, ctx: SvcContext, input: CallInitiate): Promise<Call> {
  await requireRoomMember(deps.bus, ctx, input.roomId);
  const call = await deps.db.db.transaction(async (tx) => {
    const [row] = await tx.insert(calls).values({ tenantId: ctx.tenantId, roomId: input.roomId, callType: input.callType, status: "RINGING", initiatedBy: ctx.userId }).returning();
    await tx.insert(callParticipants).values({ callId: row!.id, tenantId: ctx.tenantId, userId: ctx.userId, joinedAt: row!.createdAt });
    return toCall(tx, row!);
  });
  toCallRoom(deps, ctx, call, "call:initiated", "initiated", {
    callId: call.id,
    roomId: call.roomId,
    callType: call.callType,
    initiatedBy: call.initiatedBy,
    timestamp: call.createdAt,
  });
  return call;
}

export async function answerCall(deps: CallsDeps, ctx: SvcContext, callId: number): Promise<Call> {
  await memberCall(deps, ctx, callId);
  const now = new Date();
  // The row lock orders this against a concurrent end, so nobody joins a call that just ended.
  const call = await deps.db.db.transaction(async (tx) => {
    const row = await findCall(tx, ctx.tenantId, callId, true);
    if (row.status === "ENDED") throw new AppError("CONFLICT", "call has ended");
    // Someone who left may answer again (rejoin): their row is reopened, a present one is a conflict.
    const joined = await tx
      .insert(callParticipants)
      .values({ callId, tenantId: ctx.tenantId, userId: ctx.userId, joinedAt: now })
      .onConflictDoUpdate({ target: [callParticipants.callId, callParticipants.userId], set: { joinedAt: now, leftAt: null }, where: isNotNull(callParticipants.leftAt) })
      .returning();
    if (joined.length === 0) throw new AppError("CONFLICT", "already in this call");
    if (row.status === "RINGING") {
      const [updated] = await tx
        .update(calls)
        .set({ status: "ONGOING" satisfies CallStatus, answeredAt: now })
        .where(and(eq(calls.tenantId, ctx.tenantId), eq(calls.id, callId), eq(calls.status, "RINGING")))
        .returning();
      return toCall(tx, updated!);
    }
    return toCall(tx, row);
  });
  toCallRoom(deps, ctx, call, "call:answered", `answered:${ctx.userId}`, { callId: call.id, roomId: call.roomId, answeredBy: ctx.userId, timestamp: now.toISOString() });
  return call;
}

export async function endCall(deps: CallsDeps, ctx: SvcContext, callId: number): Promise<Call> {
  await memberCall(deps, ctx, callId);
  const now = new Date();
  const call = await deps.db.db.transaction(async (tx) => {
    const [updated] = await tx
      .update(calls)
      .set({ status: "ENDED" satisfies CallStatus, endedAt: now })
      .where(and(eq(calls.tenantId, ctx.tenantId), eq(calls.id, callId), ne(calls.status, "ENDED")))
      .returning();
    if (!updated) throw new AppError("CONFLICT", "call has already ended");
    await tx
      .update(callParticipants)
      .set({ leftAt: now })
      .where(and(eq(callParticipants.tenantId, ctx.tenantId), eq(callParticipants.callId, callId), isNull(callParticipants.leftAt)));
    return toCall(tx, updated);
  });
  toCallRoom(deps, ctx, call, "call:ended", "ended", { callId: call.id, roomId: call.roomId, endedBy: ctx.userId, timestamp: now.toISOString() });
  return call;
}

export async function getCall(deps: CallsDeps, ctx: SvcContext, callId: number): Promise<Call> {
  const row = await memberCall(deps, ctx, callId);
  return toCall(deps.db.db, row);
}

export async function listParticipants(deps: CallsDeps, ctx: SvcContext, callId: number): Promise<CallParticipants> {
  const call = await toCall(deps.db.db, await memberCall(deps, ctx, callId));
  return { callId: call.id, status: call.status, participants: call.participants };
}

/**
 * `userId` leaves the call: the room hears `call:left`; when nobody is left the call ends as if
 * they had ended it. Under the call's row lock, so two last leavers end it once. Null when the
 * user was not (or no longer) in it.
 */
async function leave(deps: CallsDeps, tenantId: string, callId: number, userId: string): Promise<Call | null> {
  const now = new Date();
  const out = await deps.db.db.transaction(async (tx) => {
    const row = await findCall(tx, tenantId, callId, true);
    if (row.status === "ENDED") throw new AppError("CONFLICT", "call has ended");
    const left = await tx
      .update(callParticipants)
      .set({ leftAt: now })
      .where(and(eq(callParticipants.tenantId, tenantId), eq(callParticipants.callId, callId), eq(callParticipants.userId, userId), isNull(callParticipants.leftAt)))
      .returning();
    if (left.length === 0) return null;
    const present = await tx
      .select({ userId: callParticipants.userId })
      .from(callParticipants)
      .where(and(eq(callParticipants.tenantId, tenantId), eq(callParticipants.callId, callId), isNull(callParticipants.leftAt)))
      .limit(1);
    if (present.length > 0) return toCall(tx, row);
    const [ended] = await tx
      .update(calls)
      .set({ status: "ENDED" satisfies CallStatus, endedAt: now })
      .where(and(eq(calls.tenantId, tenantId), eq(calls.id, callId)))
      .returning();
    return toCall(tx, ended!);
  });
  if (!out) return null;
  const timestamp = now.toISOString();
  deliver(deps.bus, {
    id: `call:${callId}:left:${userId}:${timestamp}`,
    tenantId,
    target: toRoom(out.roomId),
    event: "call:left",
    data: { callId, roomId: out.roomId, userId, timestamp },
  });
  if (out.status === "ENDED")
    deliver(deps.bus, { id: `call:${callId}:ended`, tenantId, target: toRoom(out.roomId), event: "call:ended", data: { callId, roomId: out.roomId, endedBy: userId, timestamp } });
  return out;
}

/** `call:leave`: the caller leaves without ending the call for the others. */
export async function leaveCall(deps: CallsDeps, ctx: SvcContext, callId: number): Promise<Call> {
  await memberCall(deps, ctx, callId);
  const call = await leave(deps, ctx.tenantId, callId, ctx.userId);
  if (!call) throw new AppError("CONFLICT", "not in this call");
  return call;
}

/** The user's last socket closed (presence `rt.presence.gone`): they leave every call they are in. */
// Prepared: it runs for every user whose last socket closes, mostly finding nothing.
const openCallsOf = preparedOnce((db) =>
  db
    .select({ callId: callParticipants.callId })
    .from(callParticipants)
    .innerJoin(calls, eq(calls.id, callParticipants.callId))
    .where(
      and(
        eq(callParticipants.tenantId, sql.placeholder("tenantId")),
        eq(callParticipants.userId, sql.placeholder("userId")),
        isNull(callParticipants.leftAt),
        ne(calls.status, "ENDED"),
      ),
    )
    .prepare("calls_open_of_user"),
);

export async function leaveAllCalls(deps: CallsDeps, tenantId: string, userId: string): Promise<void> {
  const open = await openCallsOf(deps.db).execute({ tenantId, userId });
  for (const { callId } of open) {
    try {
      await leave(deps, tenantId, callId, userId);
    } catch (err) {
      // Ended meanwhile: nothing to leave.
      if (!(err instanceof AppError && err.code === "CONFLICT")) throw err;
    }
  }
}

/**
 * Relay one WebRTC signal to the sockets of `toUserId`, never stored: both ends must be members
 * of the call's room (checked with chat, the owner of rooms) and the call must not have ended.
 */
export async function relaySignal(deps: CallsDeps, ctx: SvcContext, input: CallSignalInput): Promise<{ callId: number; toUserId: string }> {
  const row = await memberCall(deps, ctx, input.callId);
  if (row.status === "ENDED") throw new AppError("CONFLICT", "call has ended");
  await requireRoomMember(deps.bus, ctx, row.roomId, input.toUserId, "the recipient is not a member of this room");
  deliver(deps.bus, { tenantId: ctx.tenantId, target: toUser(input.toUserId), event: "call:signal", data: { callId: row.id, fromUserId: ctx.userId, signal: input.signal } });
  return { callId: row.id, toUserId: input.toUserId };
}
