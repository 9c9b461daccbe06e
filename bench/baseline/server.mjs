// The baseline of issue 9: a plain single-process Socket.IO server on node:http with the
// in-memory adapter — what the product documents run today. The same HS256 auth (jose), the same
// automatic rooms, and the same room logic for the measured events: join_room (membership check),
// message:send (membership check + Postgres insert via postgres.js into its own tables, then a
// room broadcast), server broadcasts through POST /api/publish, rooms through POST /api/chat/rooms.
// Plain JavaScript so that `node` and `bun` both run it unchanged.
//
// env: PORT (required), JWT_SECRET (required), DATABASE_URL, PUBLISH_API_KEY, RECOVERY (1|0).
import { createServer } from "node:http";
import { Server } from "socket.io";
import { jwtVerify } from "jose";
import postgres from "postgres";

const PORT = Number(process.env.PORT ?? 0);
const SECRET = process.env.JWT_SECRET;
if (!SECRET) throw new Error("JWT_SECRET is required");
const KEY = new TextEncoder().encode(SECRET);
const API_KEY = process.env.PUBLISH_API_KEY ?? "";
const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const RECOVERY = process.env.RECOVERY !== "0";

const sql = postgres(DATABASE_URL, { max: Number(process.env.PG_POOL ?? 10), onnotice: () => {} });
await sql`select pg_advisory_lock(91827364)`;
try {
  await sql`create schema if not exists bench_baseline`;
  await sql`create table if not exists bench_baseline.rooms (
    id serial primary key, tenant_id text not null, name text not null, created_by text not null,
    created_at timestamptz not null default now())`;
  await sql`create table if not exists bench_baseline.members (
    tenant_id text not null, room_id integer not null references bench_baseline.rooms(id) on delete cascade,
    user_id text not null, joined_at timestamptz not null default now(), primary key (room_id, user_id))`;
  await sql`create table if not exists bench_baseline.messages (
    id bigserial primary key, tenant_id text not null,
    room_id integer not null references bench_baseline.rooms(id) on delete cascade,
    sender_id text not null, sender_name text not null, content text not null,
    type text not null default 'TEXT', file_url text, created_at timestamptz not null default now())`;
  await sql`create index if not exists messages_history_idx on bench_baseline.messages (tenant_id, room_id, id desc)`;
} finally {
  await sql`select pg_advisory_unlock(91827364)`;
}

const room = {
  user: (t, u) => `u:${t}:${u}`,
  tenant: (t) => `t:${t}`,
  role: (t, r) => `r:${t}:${r}`,
  chat: (t, id) => `c:${t}:${id}`,
};

async function verify(token) {
  const { payload } = await jwtVerify(token, KEY, { algorithms: ["HS256"] });
  if (typeof payload.sub !== "string" || !payload.sub) throw new Error("bad sub");
  return {
    userId: payload.sub,
    tenantId: typeof payload.tenantId === "string" ? payload.tenantId : "default",
    roles: Array.isArray(payload.roles) ? payload.roles : [],
    name: typeof payload.name === "string" ? payload.name : payload.sub,
  };
}

const bearer = (h) => (typeof h === "string" && h.startsWith("Bearer ") ? h.slice(7) : undefined);

function readJson(req) {
  return new Promise((resolve, reject) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c) => {
      body += c;
      if (body.length > 1e6) reject(new Error("too large"));
    });
    req.on("end", () => {
      try {
        resolve(body ? JSON.parse(body) : {});
      } catch (e) {
        reject(e);
      }
    });
  });
}

const send = (res, status, body) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
};

const httpServer = createServer(async (req, res) => {
  if (req.url?.startsWith("/socket.io/")) return; // engine.io answers these
  try {
    if (req.method === "GET" && req.url === "/ready") return send(res, 200, { ready: true });
    if (req.method === "POST" && req.url === "/api/chat/rooms") {
      const p = await verify(bearer(req.headers.authorization) ?? "").catch(() => null);
      if (!p) return send(res, 401, { error: { code: "UNAUTHENTICATED", message: "token invalid" } });
      const body = await readJson(req);
      const ids = [...new Set([p.userId, ...(body.memberIds ?? []).map(String)])];
      const created = await sql.begin(async (tx) => {
        const [r] = await tx`insert into bench_baseline.rooms (tenant_id, name, created_by)
          values (${p.tenantId}, ${String(body.name ?? "room")}, ${p.userId}) returning id, name, created_by, created_at`;
        const rows = ids.map((u) => ({ tenant_id: p.tenantId, room_id: r.id, user_id: u }));
        await tx`insert into bench_baseline.members ${tx(rows, "tenant_id", "room_id", "user_id")}`;
        return { id: r.id, name: r.name, createdBy: r.created_by, createdAt: r.created_at.toISOString(), memberIds: ids };
      });
      return send(res, 201, created);
    }
    if (req.method === "POST" && req.url === "/api/publish") {
      if (!API_KEY || req.headers["x-api-key"] !== API_KEY) return send(res, 401, { error: { code: "UNAUTHENTICATED", message: "api key" } });
      const env = await readJson(req);
      const t = String(env.tenantId);
      const target = env.target ?? {};
      const name =
        target.kind === "tenant" ? room.tenant(t) : target.kind === "user" ? room.user(t, target.id) : target.kind === "role" ? room.role(t, target.id) : room.chat(t, target.id);
      const data = env.data && typeof env.data === "object" && !("timestamp" in env.data) ? { ...env.data, timestamp: new Date().toISOString() } : env.data;
      io.to(name).emit(String(env.event), data);
      return send(res, 202, { id: crypto.randomUUID() });
    }
    send(res, 404, { error: { code: "NOT_FOUND", message: "no such route" } });
  } catch {
    send(res, 500, { error: { code: "INTERNAL", message: "internal error" } });
  }
});

const io = new Server(httpServer, {
  ...(RECOVERY ? { connectionStateRecovery: { maxDisconnectionDuration: 2 * 60 * 1000, skipMiddlewares: false } } : {}),
  maxHttpBufferSize: 1024 * 1024,
});

io.use(async (socket, next) => {
  const token = socket.handshake.auth?.token ?? bearer(socket.handshake.headers.authorization);
  try {
    socket.data.principal = await verify(String(token ?? ""));
    next();
  } catch {
    const err = new Error("unauthorized");
    err.data = { code: "UNAUTHENTICATED" };
    next(err);
  }
});

const fail = (code, message) => ({ ok: false, error: { code, message } });

async function membership(tenantId, roomId, userId) {
  const [row] = await sql`select r.id, m.user_id from bench_baseline.rooms r
    left join bench_baseline.members m on m.room_id = r.id and m.user_id = ${userId}
    where r.tenant_id = ${tenantId} and r.id = ${roomId} limit 1`;
  return row ? { member: row.user_id !== null } : undefined;
}

const roomIdOf = (v) => {
  const n = typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v;
  return Number.isInteger(n) && n > 0 && n <= 2147483647 ? n : undefined;
};

io.on("connection", (socket) => {
  const p = socket.data.principal;
  if (!socket.recovered) socket.join([room.user(p.tenantId, p.userId), room.tenant(p.tenantId), ...p.roles.map((r) => room.role(p.tenantId, r))]);

  socket.on("join_room", async (input, ack) => {
    const reply = typeof ack === "function" ? ack : () => {};
    try {
      const roomId = roomIdOf(input?.roomId);
      if (roomId === undefined) return reply(fail("VALIDATION", "roomId"));
      const m = await membership(p.tenantId, roomId, p.userId);
      if (!m) return reply(fail("NOT_FOUND", "room not found"));
      if (!m.member) return reply(fail("FORBIDDEN", "not a member of this room"));
      if (socket.data.chatRoom !== roomId) {
        if (socket.data.chatRoom !== undefined) socket.leave(room.chat(p.tenantId, socket.data.chatRoom));
        socket.join(room.chat(p.tenantId, roomId));
        socket.data.chatRoom = roomId;
      }
      const data = { userId: p.userId, roomId, timestamp: new Date().toISOString() };
      io.to(room.chat(p.tenantId, roomId)).emit("member:joined", data);
      reply({ ok: true, data });
    } catch {
      reply(fail("INTERNAL", "internal error"));
    }
  });

  socket.on("message:send", async (input, ack) => {
    const reply = typeof ack === "function" ? ack : () => {};
    try {
      const roomId = roomIdOf(input?.roomId);
      const content = input?.content;
      if (roomId === undefined || typeof content !== "string" || content.length < 1 || content.length > 10_000) return reply(fail("VALIDATION", "bad message"));
      const type = input.type ?? "TEXT";
      const m = await membership(p.tenantId, roomId, p.userId);
      if (!m) return reply(fail("NOT_FOUND", "room not found"));
      if (!m.member) return reply(fail("FORBIDDEN", "not a member of this room"));
      const [row] = await sql`insert into bench_baseline.messages (tenant_id, room_id, sender_id, sender_name, content, type, file_url)
        values (${p.tenantId}, ${roomId}, ${p.userId}, ${p.name}, ${content}, ${type}, ${input.fileUrl ?? null})
        returning id, created_at`;
      const message = {
        id: Number(row.id),
        roomId,
        senderId: p.userId,
        content,
        type,
        fileUrl: input.fileUrl ?? null,
        createdAt: row.created_at.toISOString(),
        sender: { id: p.userId, name: p.name },
      };
      io.to(room.chat(p.tenantId, roomId)).emit("message:new", message);
      reply({ ok: true, data: message });
    } catch {
      reply(fail("INTERNAL", "internal error"));
    }
  });
});

httpServer.listen(PORT, "127.0.0.1", () => {
  const addr = httpServer.address();
  console.log(JSON.stringify({ listening: addr.port, runtime: typeof Bun !== "undefined" ? `bun ${Bun.version}` : `node ${process.versions.node}` }));
});

const stop = () => {
  io.close();
  sql.end({ timeout: 1 }).finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 1500).unref();
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
