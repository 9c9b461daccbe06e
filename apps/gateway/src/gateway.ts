import { Server as Engine } from "@socket.io/bun-engine";
import { Server } from "socket.io";
import type { Registry } from "prom-client";
import type { Bus } from "@rt/bus";
import type { VerifiedToken } from "@rt/auth";
import type { Principal } from "@rt/contracts";
import { InFlightLimit, nowIso, startOpsServer, type Logger, type PlatformConfig } from "@rt/service-kit";
import { createHttpApp } from "./http/app.ts";
import { createGatewayMetrics } from "./metrics.ts";
import { LocalPresence } from "./outbound/presence.ts";
import { DeliveryLog } from "./outbound/delivery.ts";
import { createRecoveryAdapter, refuseRecovery, serveAlive, startSessionSweeper, type RecoveryAdapter as Recovery } from "./outbound/recovery.ts";
import { checkOrigin } from "./inbound/origin.ts";
import { servePublish } from "./http/publish.ts";
import { createVerifier } from "@rt/auth";
import { startAdmin } from "./http/admin/admin.ts";
import { authConfig, authenticateHandshake, forgetHandshake, Unauthorized } from "./inbound/auth.ts";
import { attachDispatch } from "./inbound/dispatch.ts";
import { admitAddress, ConnectRefused, HeldSockets, holdPlaces } from "./inbound/admission.ts";
import { Expiries } from "./inbound/expiries.ts";
import { BadHandshake, presenceModeOf } from "./inbound/presence-mode.ts";
import { TenantLimits } from "./inbound/tenant-limits.ts";
import { Limiter, limiterSpecs, userKey } from "./inbound/limiter.ts";
import { MemoryLimiterStore } from "./inbound/limiter-memory.ts";
import { KvLimiterStore, LIMITS_BUCKET } from "./inbound/limiter-kv.ts";
import { clientAddress, trustedProxies } from "./inbound/client-address.ts";
import { capPollingBuffer, type EngineConn } from "./outbound/send-cap.ts";
import { endSession, expireSession, startSession } from "./inbound/session.ts";
import { SharedReads } from "./inbound/shared-reads.ts";
import { gatewayParser } from "./encoder.ts";
import type { Gateway, GatewayServer } from "./types.ts";

export interface GatewayDeps {
  bus: Bus;
  log: Logger;
  config: PlatformConfig;
  metrics: Registry;
}

export interface RunningGateway {
  id: string;
  url: string;
  port: number;
  /** The ops server (/health, /ready, /metrics) on OPS_PORT; production only. */
  opsUrl?: string;
  io: GatewayServer;
  /** Stop accepting, disconnect clients (they reconnect elsewhere), stop heartbeats. */
  stop(): Promise<void>;
}

/** Disconnect reasons socket.io keeps a session for (its own list); any other ends the session. */
const RECOVERABLE = new Set(["transport error", "transport close", "forced close", "ping timeout", "server shutting down", "forced server close"]);

/** Hard frame cap; events over the 64 KiB contract cap but under this get a typed VALIDATION error. */
const MAX_FRAME_BYTES = 1024 * 1024;
/**
 * Per-client send buffer cap, WebSocket and polling alike: a client that stops reading is
 * disconnected once this much waits in the gateway (Bun's default is 16 MB per WebSocket, with
 * frames past it silently dropped; polling had no cap). The client sees a transport close,
 * reconnects and recovers what it missed. Found by the abuse battery: 100 stuck clients under a
 * broadcast stream grew the gateway by 2 GB and stayed connected.
 */
export const SEND_BUFFER_BYTES = 2 * MAX_FRAME_BYTES;

const principalOf = ({ exp: _exp, ...principal }: VerifiedToken): Principal => principal;

/** The Socket.IO edge: engine, auth, dispatch, delivery and public HTTP on one port. */
export async function startGateway(deps: GatewayDeps, listen: { port: number; hostname?: string }): Promise<RunningGateway> {
  const { bus, log, config } = deps;
  const id = config.GATEWAY_ID ?? `gw-${crypto.randomUUID().slice(0, 8)}`;
  let stopping = false;
  const RecoveryAdapter = createRecoveryAdapter({ bus, log: log.child({ gatewayId: id }), gatewayId: id, recoveryMs: config.RECOVERY_MS, marginMs: config.SESSION_MARGIN_MS });
  const io: GatewayServer = new Server({
    connectionStateRecovery: { maxDisconnectionDuration: config.RECOVERY_MS, skipMiddlewares: false },
    adapter: RecoveryAdapter as never,
    parser: gatewayParser,
  });
  const engine = new Engine({
    path: "/socket.io/",
    maxHttpBufferSize: MAX_FRAME_BYTES,
    allowRequest: async (req) => {
      if (!checkOrigin(req, config.ALLOWED_ORIGINS)) throw "origin not allowed";
      // A gateway shutting down takes no new sessions; polling requests of existing ones still pass.
      if (stopping && !new URL(req.url).searchParams.has("sid")) throw "shutting down";
    },
    cors: config.ALLOWED_ORIGINS.length ? { origin: config.ALLOWED_ORIGINS, credentials: true } : undefined,
  });
  // The engine knows no client address: take it from Bun before socket.io builds the handshake
  // (from X-Forwarded-For only when the peer is one of TRUSTED_PROXIES).
  const trusted = trustedProxies(config.TRUSTED_PROXIES);
  engine.on("connection", (conn, req, server) => {
    const address = clientAddress(server.requestIP(req)?.address, req.headers.get("x-forwarded-for"), trusted);
    (conn as unknown as { remoteAddress?: string }).remoteAddress = address;
    // A connection that opens on WebSocket never goes back to polling: only polling ones need the cap.
    if ((conn as unknown as EngineConn).transport.name !== "polling") return;
    capPollingBuffer(conn as unknown as EngineConn, SEND_BUFFER_BYTES, (bytes) =>
      gw.log.info({ address, bytes, maxBytes: SEND_BUFFER_BYTES }, "polling client not reading, disconnecting"),
    );
  });
  io.bind(engine as never);

  const socketCount = () => io.of("/").sockets.size;
  const metrics = createGatewayMetrics(deps.metrics);
  const specs = limiterSpecs(config);
  const localLimits = new MemoryLimiterStore();
  // Cluster scope: buckets shared over the bus's KV (entries outlive no window), the local store as fallback.
  const sharedLimits =
    config.RATE_LIMIT_SCOPE === "cluster"
      ? new KvLimiterStore(await bus.kv(LIMITS_BUCKET, { ttlMs: Math.max(...Object.values(specs).map((s) => s.windowMs)) }), localLimits)
      : null;
  const limiter = new Limiter(sharedLimits ?? localLimits, specs, (cls) => metrics.rateLimited.inc({ class: cls }));
  const userSockets = new HeldSockets(() => config.MAX_SOCKETS_PER_USER, "user");
  const tenantLimits = new TenantLimits(config, limiter, metrics.tenantLimited);
  tenantLimits.trackRooms(io.of("/").adapter);
  // Followed per tenant from a socket's handshake on: a replay reads its tenant's position and hands over to it.
  const delivery = new DeliveryLog({ gatewayId: id, bus, io, config, log: log.child({ gatewayId: id }), metrics, recovery: RecoveryAdapter });
  const gw: Gateway = {
    id,
    io,
    bus,
    delivery,
    log: log.child({ gatewayId: id }),
    config,
    metrics,
    presence: new LocalPresence(bus, id, socketCount),
    verify: createVerifier(authConfig(config)),
    tenantLimits,
    inflight: new InFlightLimit(config.GATEWAY_MAX_INFLIGHT, "the gateway"),
    sharedReads: new SharedReads(),
    expiries: new Expiries((socket) => expireSession(gw, socket)),
  };
  const recovery = io.of("/").adapter as unknown as Recovery;

  io.use(async (socket, next) => {
    try {
      // Load limits first: a flood is refused before any token is verified.
      await admitAddress(limiter, socket.handshake.address);
      socket.data.presence = presenceModeOf(socket.handshake);
      const v = await authenticateHandshake(gw, socket);
      const principal = v ? principalOf(v) : null;
      // Before any room is joined or replayed: from here on the tenant's deliveries reach this gateway.
      if (principal) await delivery.follow(principal.tenantId);
      // A restored session goes to its owner only; anyone else gets a fresh socket (new id) here, before the id is counted.
      if (!refuseRecovery(recovery, socket, principal, gw.log) && socket.recovered) await delivery.prepareReplay(socket, principal!);
      if (principal)
        holdPlaces(socket, [
          [userSockets, userKey(principal.tenantId, principal.userId)],
          [tenantLimits.sockets, principal.tenantId],
        ]);
      forgetHandshake(socket);
      socket.data.principal = principal;
      socket.data.exp = v?.exp;
      recovery.ownPid(socket as unknown as { pid?: string; recovered: boolean }); // socket.io keeps `pid` private
      next();
    } catch (err) {
      recovery.unclaim(socket.id);
      if (err instanceof ConnectRefused || err instanceof BadHandshake) {
        gw.log.info({ address: socket.handshake.address, reason: err.message }, "handshake refused");
        return next(err);
      }
      const reason = err instanceof Unauthorized ? err.data.reason : "error";
      metrics.authFailures.inc({ reason });
      gw.log.info({ reason, address: socket.handshake.address, ...(reason === "error" && { err: String(err) }) }, "handshake refused");
      next(err instanceof Unauthorized ? err : new Unauthorized("token invalid"));
    }
  });

  io.on("connection", (socket) => {
    socket.data.since ??= nowIso();
    metrics.sockets.set(socketCount());
    if (socket.recovered) metrics.recovered.inc();
    const p = socket.data.principal;
    if (p && socket.recovered) delivery.resume(socket, (joinRooms) => startSession(gw, socket, p, socket.data.exp, joinRooms));
    else if (p) startSession(gw, socket, p, socket.data.exp);
    gw.log.info(
      { socketId: socket.id, userId: p?.userId ?? null, tenantId: p?.tenantId, roles: p?.roles, recovered: socket.recovered, transport: socket.conn.transport.name },
      "socket connected",
    );
    attachDispatch(gw, socket, limiter);
    socket.on("disconnect", (reason) => {
      if (!RECOVERABLE.has(reason)) RecoveryAdapter.forget((socket as unknown as { pid?: string }).pid);
      endSession(gw, socket);
      metrics.sockets.set(socketCount());
      gw.log.info({ socketId: socket.id, userId: socket.data.principal?.userId ?? null, reason }, "socket disconnected");
    });
  });

  const publishing = servePublish(gw);
  const alive = serveAlive(bus, id, (sid) => io.of("/").sockets.has(sid) || recovery.claims.has(sid));
  // Half the shorter of window and margin: a gone socket's session lives at most window + 1.5 × margin.
  await RecoveryAdapter.register();
  const sweeper = startSessionSweeper(recovery, Math.min(30_000, Math.max(100, Math.min(config.RECOVERY_MS, config.SESSION_MARGIN_MS) / 2)), gw.log);
  const readiness = { ready: async () => !stopping && bus.isConnected() };
  const admin = startAdmin(gw);
  const app = createHttpApp(gw, { readiness, metrics: deps.metrics, limiter, admin: admin.app });
  const { websocket, idleTimeout, maxRequestBodySize } = engine.handler();
  const server = Bun.serve({
    port: listen.port,
    hostname: listen.hostname ?? "0.0.0.0",
    idleTimeout,
    maxRequestBodySize,
    websocket: { ...websocket, backpressureLimit: SEND_BUFFER_BYTES, closeOnBackpressureLimit: true },
    fetch(req, srv) {
      const url = new URL(req.url);
      // Both Socket.IO paths reach the same engine; the URL is passed on untouched (upgrade needs it).
      if (url.pathname === "/socket.io/" || (url.pathname.startsWith("/api/socket/") && url.searchParams.has("EIO"))) {
        return engine.handleRequest(req, srv as never);
      }
      return app.fetch(req, srv);
    },
  });
  // Production keeps /metrics off the public port (unless METRICS_TOKEN): scrape this one, as the services'.
  const ops = config.NODE_ENV === "production" ? startOpsServer({ port: config.OPS_PORT, name: "gateway", readiness, metrics: deps.metrics }) : undefined;
  await bus.flush();
  const url = `http://127.0.0.1:${server.port}`;
  gw.log.info({ port: server.port, opsPort: ops?.port ?? null }, "gateway listening"); // gw.log already carries gatewayId

  return {
    id,
    url,
    port: server.port!,
    opsUrl: ops && `http://127.0.0.1:${ops.port}`,
    io,
    async stop() {
      stopping = true;
      sweeper.stop();
      publishing.unsubscribe();
      admin.stop();
      // Close transports, not sessions: clients see a transport close, reconnect (to another
      // gateway when there is one) and recover what they miss meanwhile.
      engine.close();
      await RecoveryAdapter.settle();
      delivery.stop();
      gw.presence.stop();
      gw.expiries.stop();
      localLimits.stop();
      sharedLimits?.stop();
      await server.stop(true);
      ops?.stop(true);
      // Last: while its clients move on, this gateway still tells the others their sockets are gone.
      alive.unsubscribe();
    },
  };
}
