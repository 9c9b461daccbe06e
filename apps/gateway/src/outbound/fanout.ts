import type { Server as BunServer, ServerWebSocket } from "bun";
import type { GatewayServer } from "../types.ts";

/**
 * Room broadcasts through Bun's native WebSocket topics.
 *
 * @socket.io/bun-engine writes a broadcast to every socket separately from JavaScript: per socket
 * an engine packet, two emitter events, a string concat, a UTF-8 encode and a write. Here, as in
 * socket.io's own uWebSockets.js integration, every WebSocket client is subscribed to a Bun topic
 * per room it is in, and a broadcast to one room without `except` is encoded once and fanned out
 * by `server.publish` in native code.
 *
 * What keeps it equivalent to the adapter's own broadcast:
 * - A socket is subscribed only while it is connected to the namespace (in `nsp.sockets`) on a
 *   WebSocket, to exactly the rooms the adapter has for it (joins subscribe, leaves and
 *   disconnects unsubscribe). Polling sockets, sockets not subscribed yet (before connect, or a
 *   restored session before its middlewares finished) and any other mismatch are written to
 *   per socket by the adapter path, so each member of the room gets the frame exactly once.
 * - Broadcasts with `except` (typing), to several rooms (payments) or to a socket's own id room
 *   take the adapter's path unchanged.
 * - As in socket.io's uWebSockets.js integration, `onAnyOutgoing` listeners are not called for the
 *   sockets a topic served (the gateway registers none).
 * - The packet still goes through the adapter's `broadcast` chain first, so whatever a recovery
 *   adapter adds (offsets, stored packets) is in the frame that is published.
 * - Room names carry the tenant (rooms.ts); topics are the room names behind a namespace prefix,
 *   matched exactly (Bun topics have no wildcards), per Bun server: no frame crosses tenants or
 *   gateways.
 *
 * `GATEWAY_TOPIC_FANOUT=false` turns it off (the adapter path for every broadcast; delivery.ts).
 */

type Ws = ServerWebSocket<unknown>;
type Room = string;
type SocketId = string;

interface EngineConn {
  transport: { name: string; socket?: Ws };
  on(ev: "upgrade", fn: () => void): void;
  once(ev: "upgrade", fn: () => void): void;
}
interface IoSocket {
  id: SocketId;
  conn: EngineConn;
  client: { writeToEngine(packets: unknown[], opts: unknown): void };
  notifyOutgoingListeners?: (packet: unknown) => void;
}
interface BroadcastOpts {
  rooms: Set<Room>;
  except?: Set<Room>;
  flags?: { volatile?: boolean; compress?: boolean };
}
interface AdapterLike {
  nsp: { name: string; sockets: Map<SocketId, IoSocket> };
  rooms: Map<Room, Set<SocketId>>;
  sids: Map<SocketId, Set<Room>>;
  _encode(packet: unknown, opts: unknown): unknown[];
  addAll(id: SocketId, rooms: Set<Room>): void;
  del(id: SocketId, room: Room): void;
  delAll(id: SocketId): void;
  broadcast(packet: { nsp?: string }, opts: BroadcastOpts): void;
}

interface Fanout {
  server?: BunServer<unknown>;
  prefix: string;
  /** Socket id -> the WebSocket subscribed to every room of that socket (except its own id). */
  subscribed: Map<SocketId, Ws>;
  /** Connected sockets that are not subscribed (polling, or not on an open WebSocket): written per socket. */
  slow: Set<SocketId>;
  /** Polling sockets already waiting for their upgrade. */
  watching: WeakSet<object>;
}

const fanouts = new WeakMap<object, Fanout>();
const PATCHED = Symbol.for("rt.gateway.topicFanout");
const OPEN = 1;

/** Turn on topic fan-out for the default namespace of a gateway's Socket.IO server (bun-engine bound). */
export function enableTopicFanout(io: GatewayServer): void {
  const nsp = io.of("/");
  const adapter = nsp.adapter as unknown as AdapterLike;
  if (fanouts.has(adapter)) return;
  const engine = (io as unknown as { engine?: { on?: (ev: string, fn: (...a: unknown[]) => void) => void } }).engine;
  if (typeof engine?.on !== "function") return;
  const f: Fanout = { prefix: `${nsp.name}\u001f`, subscribed: new Map(), slow: new Set(), watching: new WeakSet() };
  // bun-engine hands the Bun server to every handshake; topics are per server.
  engine.on("connection", (_conn, _req, server) => {
    if (!f.server && server && typeof (server as BunServer<unknown>).publish === "function") f.server = server as BunServer<unknown>;
  });
  patchAdapterClass(adapter);
  fanouts.set(adapter, f);
}

/** The WebSocket a socket currently talks over, when it is open. */
function currentWs(socket: IoSocket): Ws | undefined {
  const t = socket.conn.transport;
  if (t.name !== "websocket") return undefined;
  const ws = t.socket;
  return ws && ws.readyState === OPEN ? ws : undefined;
}

/** Subscribe a connected WebSocket socket to its rooms (all of them, or just `added` when already tracked). */
function sync(f: Fanout, adapter: AdapterLike, id: SocketId, added?: Set<Room>) {
  const socket = adapter.nsp.sockets.get(id);
  if (!socket) return;
  const ws = currentWs(socket);
  if (!ws) {
    f.slow.add(id);
    if (socket.conn.transport.name !== "websocket" && !f.watching.has(socket)) {
      f.watching.add(socket);
      socket.conn.once("upgrade", () => {
        f.watching.delete(socket);
        if (adapter.sids.has(id)) sync(f, adapter, id);
      });
    }
    return;
  }
  const known = f.subscribed.get(id) === ws;
  const rooms = known && added ? added : adapter.sids.get(id);
  if (!rooms) return;
  for (const room of rooms) if (room !== id) ws.subscribe(f.prefix + room);
  f.subscribed.set(id, ws);
  f.slow.delete(id);
}

function unsubscribe(f: Fanout, ws: Ws, rooms: Iterable<Room>, id: SocketId) {
  if (ws.readyState !== OPEN) return; // Bun drops a closed socket's topics itself
  for (const room of rooms) if (room !== id) ws.unsubscribe(f.prefix + room);
}

/**
 * Patch the base in-memory Adapter class once; the patched methods do the usual work and, only for
 * adapters registered here, keep topics in step and take the native path for plain room broadcasts.
 * The base class is found from the live adapter, so a subclass (session-aware, recovery) keeps
 * working: its own overrides call into these through `super`.
 */
function patchAdapterClass(adapter: AdapterLike) {
  let proto = Object.getPrototypeOf(adapter);
  while (proto && !(Object.hasOwn(proto, "addAll") && Object.hasOwn(proto, "delAll") && Object.hasOwn(proto, "apply"))) proto = Object.getPrototypeOf(proto);
  if (!proto || proto[PATCHED]) return;
  const base = { addAll: proto.addAll, del: proto.del, delAll: proto.delAll, broadcast: proto.broadcast } as Pick<AdapterLike, "addAll" | "del" | "delAll" | "broadcast">;
  proto[PATCHED] = true;

  proto.addAll = function (this: AdapterLike, id: SocketId, rooms: Set<Room>) {
    base.addAll.call(this, id, rooms);
    const f = fanouts.get(this);
    if (f) sync(f, this, id, rooms);
  };

  proto.del = function (this: AdapterLike, id: SocketId, room: Room) {
    base.del.call(this, id, room);
    const f = fanouts.get(this);
    const ws = f?.subscribed.get(id);
    if (f && ws) unsubscribe(f, ws, [room], id);
  };

  proto.delAll = function (this: AdapterLike, id: SocketId) {
    const f = fanouts.get(this);
    const ws = f?.subscribed.get(id);
    const rooms = ws ? [...(this.sids.get(id) ?? [])] : [];
    base.delAll.call(this, id);
    f?.slow.delete(id);
    if (f && ws) {
      f.subscribed.delete(id);
      unsubscribe(f, ws, rooms, id);
    }
  };

  proto.broadcast = function (this: AdapterLike, packet: { nsp?: string }, opts: BroadcastOpts) {
    const f = fanouts.get(this);
    if (!f?.server || opts.rooms.size !== 1 || (opts.except && opts.except.size > 0)) return base.broadcast.call(this, packet, opts);
    const room = opts.rooms.values().next().value as Room;
    // A socket's own id room holds one socket and is not a topic.
    if (this.sids.has(room)) return base.broadcast.call(this, packet, opts);
    const ids = this.rooms.get(room);
    if (!ids) return;
    const flags = opts.flags ?? {};
    const packetOpts = { preEncoded: true, volatile: flags.volatile, compress: flags.compress };
    packet.nsp = this.nsp.name;
    const encoded = this._encode(packet, packetOpts);
    // Engine.IO message frames: "4" + text, or the binary attachment as is.
    const frames = encoded.map((p) => (typeof p === "string" ? `4${p}` : (p as Uint8Array)));
    const topic = f.prefix + room;
    for (const frame of frames) f.server.publish(topic, frame, false);
    // The rest of the room, one by one: walk the smaller of the room and the unsubscribed set.
    const slow = f.slow;
    if (slow.size === 0) return;
    const write = (id: SocketId) => {
      const socket = this.nsp.sockets.get(id);
      if (!socket) return;
      if (typeof socket.notifyOutgoingListeners === "function") socket.notifyOutgoingListeners(packet);
      socket.client.writeToEngine(encoded, packetOpts);
    };
    if (slow.size <= ids.size) {
      for (const id of slow) if (ids.has(id)) write(id);
    } else {
      for (const id of ids) if (slow.has(id)) write(id);
    }
  };
}
