import { Server as Engine } from "@socket.io/bun-engine";
import { Server } from "socket.io";
import type { Registry } from "prom-client";
import type { Bus } from "@rt/bus";
import { InFlightLimit, nowIso, startOpsServer, type Logger, type PlatformConfig } from "@rt/service-kit";
import { createHttpApp } from "./http.ts";
import { createGatewayMetrics } from "./metrics.ts";
import { LocalPresence } from "./presence.ts";
import { packetsOf, startDelivery, type Delivery } from "./delivery.ts";
import { createRecoveryAdapter } from "./recovery.ts";
import { checkOrigin } from "./origin.ts";
import { servePublish } from "./publish.ts";
import { authenticateHandshake, Unauthorized } from "./socket/auth.ts";
import { attachDispatch, createLimiter } from "./socket/dispatch.ts";
import { endSession, startSession } from "./socket/session.ts";
import type { Gateway, GatewayServer } from "./socket/types.ts";

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

/** Recovery window of PROTOCOL "Connection state recovery". */
export const RECOVERY_MS = 2 * 60 * 1000;
/** Hard frame cap; events over the 64 KiB contract cap but under this get a typed VALIDATION error. */
const MAX_FRAME_BYTES = 1024 * 1024;
/**
 * Per-WebSocket send buffer cap: a client that stops reading is disconnected once this much waits
 * in the gateway (Bun's default is 16 MB per socket, kept, with frames past it silently dropped).
 * The client sees a transport close, reconnects and recovers what it missed. Found by the abuse
 * battery: 100 stuck clients under a broadcast stream grew the gateway by 2 GB and stayed connected.
 */
export const WS_SEND_BUFFER_BYTES = 2 * MAX_FRAME_BYTES;

/** The Socket.IO edge: engine, auth, dispatch, delivery and public HTTP on one port. */
export async function startGateway(deps: GatewayDeps, listen: { port: number; hostname?: string }): Promise<RunningGateway> {
  const { bus, log, config } = deps;
  const id = config.GATEWAY_ID ?? `gw-${crypto.randomUUID().slice(0, 8)}`;
  // The delivery tail starts below, before the server listens; recovery asks it for its position.
  let delivery: Delivery | null = null;
  let stopping = false;
  const RecoveryAdapter = createRecoveryAdapter({
    bus,
    log,
    recoveryMs: RECOVERY_MS,
    position: () => delivery?.position() ?? 0,
    packetsOf: (env, seq) => packetsOf(config, env, seq),
  });
  const io: GatewayServer = new Server({
    connectionStateRecovery: { maxDisconnectionDuration: RECOVERY_MS, skipMiddlewares: false },
    adapter: RecoveryAdapter as never,
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
  // The engine knows no client address: take it from Bun before socket.io builds the handshake.
  engine.on("connection", (conn, req, server) => {
    (conn as unknown as { remoteAddress?: string }).remoteAddress = server.requestIP(req)?.address;
  });
  io.bind(engine as never);

  const socketCount = () => io.of("/").sockets.size;
  const metrics = createGatewayMetrics(deps.metrics);
  const inflight = new InFlightLimit(config.GATEWAY_MAX_INFLIGHT, "the gateway");
  const gw: Gateway = { id, io, bus, log: log.child({ gatewayId: id }), config, metrics, presence: new LocalPresence(bus, id, socketCount), inflight };
  const limiter = createLimiter(gw);

  io.use(async (socket, next) => {
    try {
      const v = await authenticateHandshake(gw, socket);
      if (v) {
        const { exp, ...principal } = v;
        socket.data.principal = principal;
        socket.data.exp = exp;
      } else socket.data.principal = null;
      next();
    } catch (err) {
      const reason = err instanceof Unauthorized ? err.data.reason : "error";
      metrics.authFailures.inc({ reason });
      gw.log.info({ reason, address: socket.handshake.address }, "handshake refused");
      next(err instanceof Unauthorized ? err : new Unauthorized("token invalid"));
    }
  });

  io.on("connection", (socket) => {
    socket.data.since ??= nowIso();
    metrics.sockets.set(socketCount());
    if (socket.recovered) metrics.recovered.inc();
    const p = socket.data.principal;
    if (p) startSession(gw, socket, p, socket.data.exp);
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

  delivery = await startDelivery(gw);
  const publishing = servePublish(gw);
  const readiness = { ready: async () => !stopping && bus.isConnected() };
  const app = createHttpApp(gw, { readiness, metrics: deps.metrics });
  const { websocket, idleTimeout, maxRequestBodySize } = engine.handler();
  const server = Bun.serve({
    port: listen.port,
    hostname: listen.hostname ?? "0.0.0.0",
    idleTimeout,
    maxRequestBodySize,
    websocket: { ...websocket, backpressureLimit: WS_SEND_BUFFER_BYTES, closeOnBackpressureLimit: true },
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
  gw.log.info({ port: server.port, opsPort: ops?.port ?? null, gatewayId: id }, "gateway listening");

  return {
    id,
    url,
    port: server.port!,
    opsUrl: ops && `http://127.0.0.1:${ops.port}`,
    io,
    async stop() {
      stopping = true;
      publishing.unsubscribe();
      // Close transports, not sessions: clients see a transport close, reconnect (to another
      // gateway when there is one) and recover what they miss meanwhile.
      engine.close();
      await RecoveryAdapter.settle();
      delivery?.unsubscribe();
      gw.presence.stop();
      await server.stop(true);
      ops?.stop(true);
    },
  };
}
