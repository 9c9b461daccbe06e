import { z } from "zod";
import { EntityId, UserId } from "../ids.ts";
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

export const CallParticipant = z.object({ userId: z.string(), joinedAt: Iso, leftAt: Iso.nullable() });
/** `call:participants` ack: everyone who joined, with when they joined and (if they did) left. */
export const CallParticipants = z.object({ callId: z.number(), status: CallStatus, participants: z.array(CallParticipant) });
export type CallParticipants = z.infer<typeof CallParticipants>;
export const CallLeft = z.object({ callId: z.number(), roomId: z.number(), userId: z.string(), timestamp: Iso });

/** Caps well above a real browser's SDP (a few KiB for audio + video) and candidate line. */
export const MAX_SDP_CHARS = 32 * 1024;
export const MAX_CANDIDATE_CHARS = 1024;
/** An RTCIceCandidateInit as a browser's `candidate.toJSON()` gives it. */
export const IceCandidate = z
  .object({
    candidate: z.string().max(MAX_CANDIDATE_CHARS),
    sdpMid: z.string().max(64).nullable().optional(),
    sdpMLineIndex: z.number().int().min(0).max(1024).nullable().optional(),
    usernameFragment: z.string().max(256).nullable().optional(),
  })
  .strict();
/** WebRTC signalling, relayed as is (never stored): an SDP offer/answer or one ICE candidate. */
export const Signal = z.discriminatedUnion("type", [
  z.object({ type: z.enum(["offer", "answer"]), sdp: z.string().min(1).max(MAX_SDP_CHARS) }).strict(),
  z.object({ type: z.literal("candidate"), candidate: IceCandidate }).strict(),
]);
export type Signal = z.infer<typeof Signal>;
export const CallSignalInput = z.object({ callId: EntityId, toUserId: UserId, signal: Signal });
export type CallSignalInput = z.infer<typeof CallSignalInput>;
export const CallSignal = z.object({ callId: z.number(), fromUserId: z.string(), signal: Signal });

/** `GET /api/calls/turn-credentials`: the TURN REST API format coturn's `use-auth-secret` checks. */
export const TurnCredentials = z.object({
  urls: z.array(z.string()),
  /** `<expiry epoch seconds>:<userId>` */
  username: z.string(),
  /** base64(HMAC-SHA1(TURN_SECRET, username)) */
  credential: z.string(),
  /** Seconds the credential stays valid. */
  ttl: z.number().int(),
});
export type TurnCredentials = z.infer<typeof TurnCredentials>;
