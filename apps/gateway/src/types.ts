import type { Server, Socket } from "socket.io";
import type { Logger } from "pino";
import type { Bus } from "@rt/bus";
import type { TokenVerifier } from "@rt/auth";
import type { EdgeEventName, ClientEventInput, PresenceMode, Principal, ServerEventName, ServerEventPayload, SvcContext } from "@rt/contracts";
import type { InFlightLimit, PlatformConfig } from "@rt/service-kit";
import type { GatewayMetrics } from "./metrics.ts";
import type { LocalPresence } from "./outbound/presence.ts";
import type { DeliveryLog } from "./outbound/delivery.ts";
import type { TenantLimits } from "./inbound/tenant-limits.ts";
import type { Expiries } from "./inbound/expiries.ts";
import type { SharedReads } from "./inbound/shared-reads.ts";

/** Per-socket state; Socket.IO restores it on connection state recovery. */
export interface SocketData {
  principal: Principal | null;
  /** Token expiry, epoch seconds. */
  exp?: number;
  /** The chat room this socket is in (join_room leaves the previous one). */
  chatRoom?: number;
  since: string;
  /** How this socket hears tenant-wide presence (handshake `presence`; presence-mode.ts). */
  presence?: PresenceMode;
}

export type ServerToClient = { [E in ServerEventName]: (payload: ServerEventPayload<E>) => void };
/** Client events are dispatched from one onAny handler against the contracts table. */
export type ClientToServer = Record<string, (...args: unknown[]) => void>;

export type GatewayServer = Server<ClientToServer, ServerToClient, Record<string, never>, SocketData>;
export type GatewaySocket = Socket<ClientToServer, ServerToClient, Record<string, never>, SocketData>;

/** What handlers may use: no database, no service logic — only the bus and local sockets. */
export interface Gateway {
  id: string;
  io: GatewayServer;
  bus: Bus;
  log: Logger;
  config: PlatformConfig;
  metrics: GatewayMetrics;
  presence: LocalPresence;
  /** The delivery log as this gateway follows it: the tenants it has sockets of. */
  delivery: DeliveryLog;
  /** Per-tenant limits of this gateway (sockets, events a minute, sync rooms). */
  tenantLimits: TenantLimits;
  /** The one token check of every path (handshake, recovery, `authenticate`, REST bearer). */
  verify: TokenVerifier;
  /** Token expiries of the authenticated sockets, on one timer. */
  expiries: Expiries<GatewaySocket>;
  /** Forwarded events waiting for their service (GATEWAY_MAX_INFLIGHT). */
  inflight: InFlightLimit;
  /** Calls answered per tenant (contract `perTenant`) that share one service request. */
  sharedReads: SharedReads;
}

export type Handler<E extends EdgeEventName> = (gw: Gateway, socket: GatewaySocket, input: ClientEventInput<E>, ctx: SvcContext) => Promise<unknown> | unknown;

/** Handlers of the events the gateway answers itself; the others are forwarded (contract `service`). */
export type HandlerTable = { [E in EdgeEventName]?: Handler<E> };
