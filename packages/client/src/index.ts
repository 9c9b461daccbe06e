export { connect, RealtimeClient } from "./client.ts";
export type { ConnectOptions, ConnectionState, RejoinReport, StateChange, Transport } from "./client.ts";
export { RealtimeError } from "./errors.ts";
export { PRESENCE_EVENTS, PresenceView } from "./presence.ts";
export type { PresenceEvent, PresenceMode } from "./presence.ts";
export type { ErrorCode } from "./errors.ts";
export { createSocketClient, SocketClient, socketClient } from "./socket-client.ts";
export type { SocketClientOptions } from "./socket-client.ts";
export type {
  AckData,
  AckDataMap,
  AuthenticatedUser,
  ClientEventName,
  ClientInput,
  EmitArgs,
  RequestArgs,
  RequestOptions,
  ServerEventName,
  ServerEventPayload,
  ServerHandler,
} from "./types.ts";
