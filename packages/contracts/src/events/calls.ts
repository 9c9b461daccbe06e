import { z } from "zod";
import { EntityId } from "../ids.ts";
import { Iso } from "./common.ts";

export const CallType = z.enum(["AUDIO", "VIDEO"]);
export const CallStatus = z.enum(["RINGING", "ONGOING", "ENDED"]);
export type CallStatus = z.infer<typeof CallStatus>;

export const CallInitiate = z.object({ roomId: EntityId, callType: CallType.default("AUDIO") });
export type CallInitiate = z.infer<typeof CallInitiate>;
export const CallRef = z.object({ callId: EntityId });
export type CallRef = z.infer<typeof CallRef>;

export const CallInitiated = z.object({ callId: z.number(), roomId: z.number(), callType: CallType, initiatedBy: z.string(), timestamp: Iso });
export const CallAnswered = z.object({ callId: z.number(), roomId: z.number(), answeredBy: z.string(), timestamp: Iso });
export const CallEnded = z.object({ callId: z.number(), roomId: z.number(), endedBy: z.string(), timestamp: Iso });

export const Call = z.object({
  id: z.number(),
  roomId: z.number(),
  callType: CallType,
  status: CallStatus,
  initiatedBy: z.string(),
  createdAt: Iso,
  endedAt: Iso.nullable(),
  participants: z.array(z.object({ userId: z.string(), joinedAt: Iso, leftAt: Iso.nullable() })),
});
export type Call = z.infer<typeof Call>;
