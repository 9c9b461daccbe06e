import { AppError, type IsMemberReply, type SvcContext } from "@rt/contracts";
import type { Bus } from "@rt/bus";
import { callService } from "./call.ts";

/** Chat's answer, however slow, beyond which a membership check is UNAVAILABLE. */
const CHAT_TIMEOUT_MS = 3000;

/**
 * Ask chat (the owner of rooms) whether `userId` (default: the caller) is a member of a room of
 * the caller's tenant. Chat being down or silent is UNAVAILABLE, never a silent yes; a room chat
 * does not know is simply "not a member" (FORBIDDEN with `refusal`).
 */
export async function requireRoomMember(bus: Bus, ctx: SvcContext, roomId: number, userId = ctx.userId, refusal = "not a member of this room"): Promise<void> {
  let answer: IsMemberReply;
  try {
    answer = await callService(bus, "chat", "is-member", ctx, { roomId, userId }, { timeoutMs: CHAT_TIMEOUT_MS });
  } catch (err) {
    if (err instanceof AppError && (err.code === "NOT_FOUND" || err.code === "FORBIDDEN")) throw new AppError("FORBIDDEN", refusal);
    if (err instanceof AppError && err.code !== "UNAVAILABLE") throw new AppError("UNAVAILABLE", "chat service unavailable");
    throw err;
  }
  if (!answer.member) throw new AppError("FORBIDDEN", refusal);
}
