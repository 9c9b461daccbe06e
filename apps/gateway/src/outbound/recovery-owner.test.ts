import { afterAll, beforeAll, expect, test } from "bun:test";
import { io as ioClient } from "socket.io-client";
import { createLogger } from "@rt/service-kit";
import { startWithSecondGateway, waitFor, TEST_API_KEY, uniqueTenant, type ClientSocket, type TestPlatform } from "@rt/testkit";
import { RawSocket } from "../../../../test/battery/lib/raw-socket.ts";
import type { RunningGateway } from "../gateway.ts";

/**
 * Connection state recovery is bound to the session's owner (issue 12 items 1 and 9): a stolen
 * `pid` is worth nothing without the owner's token, never takes over a live socket, and a token
 * with fewer roles leaves the role rooms it no longer grants.
 */
const logs: string[] = [];
let p: TestPlatform;
let gw: RunningGateway;
let stop: () => Promise<void>;
beforeAll(async () => {
  // The gateway under attack is a second one on the same bus, so its log lines can be read.
  const log = createLogger({ name: "gw-owner", level: "info", destination: { write: (s: string) => void logs.push(s) } });
  ({ p, second: gw, stop } = await startWithSecondGateway({ log }));
}, 60_000);
afterAll(() => stop());

const ws = (url: string) => url.replace(/^http/, "ws");
const publish = (target: { kind: string; id?: string }, event: string, data: unknown) =>
  p.fetch("/api/publish", { method: "POST", headers: { "x-api-key": TEST_API_KEY }, json: { tenantId: p.tenant, target, event, data } });
const open = (url: string, token: string, extra: Record<string, unknown> = {}) =>
  ioClient(url, { auth: { token }, transports: ["websocket"], forceNew: true, reconnection: false, ...extra });
const state = (s: ClientSocket) => s as unknown as { _pid: string; _lastOffset: string };
const refusals = () => logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === "recovery refused");

/** A victim connected to `gw` with one private event received (so it has an offset). */
async function victim(sub: string) {
  const token = await p.token({ sub });
  const s = open(gw.url, token);
  await waitFor(s, "connect");
  const first = waitFor(s, "private", { timeoutMs: 10_000 });
  await publish({ kind: "user", id: sub }, "private", { secret: `${sub}-before` });
  await first;
  return { s, token, pid: state(s)._pid, offset: state(s)._lastOffset, sid: s.id! };
}

/** Drop a socket's transport from the server side: a recoverable disconnect, its session kept. */
async function drop(s: ClientSocket) {
  const gone = waitFor(s, "disconnect");
  gw.io.of("/").sockets.get(s.id!)?.conn.close();
  await gone;
  await Bun.sleep(100);
}

test("a stolen pid with no token, a garbage token, another tenant's or another user's token: no missed event, a fresh session, `recovery refused` logged", async () => {
  const v = await victim("victim-1");
  await drop(v.s);
  const secret = `secret-${crypto.randomUUID()}`;
  await publish({ kind: "user", id: "victim-1" }, "private", { secret });
  await Bun.sleep(200);

  const otherTenant = await p.token({ sub: "victim-1", tenantId: uniqueTenant("evil") });
  const otherUser = await p.token({ sub: "mallory" });
  const attempts: Array<[string, Record<string, unknown>]> = [
    ["no token", {}],
    ["garbage token", { token: "garbage.garbage.garbage" }],
    ["other tenant's token", { token: otherTenant }],
    ["same tenant, other user", { token: otherUser }],
  ];
  const before = refusals().length;
  for (const [label, auth] of attempts) {
    const r = await RawSocket.open(ws(gw.url), { auth: { ...auth, pid: v.pid, offset: v.offset } });
    await Bun.sleep(300);
    const leaked = r.socket.received.filter((f) => f.includes(secret) || f.includes("victim-1-before"));
    expect({ label, leaked }).toEqual({ label, leaked: [] });
    if (r.connected) {
      // A fresh session: neither the victim's socket id nor its session id.
      expect({ label, sid: r.socket.sid === v.sid, pid: r.socket.pid === v.pid }).toEqual({ label, sid: false, pid: false });
    }
    r.socket.close();
  }
  // Only the attempts that reached the connection step with a verified token are "recovery refused".
  const lines = refusals().slice(before);
  expect(lines.map((l) => l.reason)).toEqual(["tenant mismatch", "user mismatch"]);
  expect(JSON.stringify(lines)).not.toContain(otherTenant);

  // None of that burnt the victim's session: with its own token it recovers and gets the secret.
  const got = waitFor(v.s, "private", { timeoutMs: 10_000 });
  const back = waitFor(v.s, "connect");
  v.s.connect();
  await back;
  expect(v.s.recovered).toBe(true);
  expect((await got).secret).toBe(secret);
  v.s.close();
});

test("a live session cannot be taken over: a stolen pid with another tenant's token, or even the owner's, is a fresh socket; the victim keeps its deliveries", async () => {
  const v = await victim("victim-2");
  const otherTenant = await p.token({ sub: "victim-2", tenantId: uniqueTenant("evil") });
  const thief = await RawSocket.open(ws(gw.url), { auth: { token: otherTenant, pid: v.pid, offset: v.offset } });
  expect(thief.connected).toBe(true);
  expect(thief.socket.sid).not.toBe(v.sid);
  expect(thief.socket.pid).not.toBe(v.pid);

  // A second connection with the owner's own token and the live pid, here and through the other gateway.
  for (const url of [gw.url, p.url]) {
    const twin = open(url, v.token);
    state(twin)._pid = v.pid;
    state(twin)._lastOffset = v.offset;
    await waitFor(twin, "connect");
    expect(twin.recovered).toBe(false);
    expect(twin.id).not.toBe(v.sid);
    twin.close();
  }

  const secret = `live-${crypto.randomUUID()}`;
  const got = waitFor(v.s, "private", { timeoutMs: 10_000 });
  await publish({ kind: "user", id: "victim-2" }, "private", { secret });
  expect((await got).secret).toBe(secret);
  await Bun.sleep(200);
  expect(thief.socket.received.some((f) => f.includes(secret))).toBe(false);
  expect(v.s.connected).toBe(true);
  thief.socket.close();
  v.s.close();
});

test("a recovery id that is not one (wildcards, no gateway part, too long, empty) is a fresh socket with an id under this gateway's prefix; the gateway keeps serving", async () => {
  const token = await p.token({ sub: "pid-garbage" });
  for (const pid of ["a.>", "*", ">", "no-dot", `${gw.id}.a.b`, `${"x".repeat(300)}.y`, "", `${gw.id}.`]) {
    const r = await RawSocket.open(ws(gw.url), { auth: { token, pid, offset: "0" } });
    expect({ pid, connected: r.connected }).toEqual({ pid, connected: true });
    expect(r.socket.pid).toStartWith(`${gw.id}.`);
    expect(r.socket.pid).not.toBe(pid);
    r.socket.close();
  }
  const v = await victim("after-garbage");
  expect(v.pid).toMatch(new RegExp(`^${gw.id}\\.[A-Za-z0-9_-]{20}$`));
  v.s.close();
});

test("authenticate with fewer roles leaves the role rooms the new token no longer grants, and narrows a payments subscription to its own", async () => {
  const token = await p.token({ sub: "demoted", roles: ["admin", "ops"] });
  const s = open(gw.url, token);
  await waitFor(s, "connect");
  expect(await s.timeout(5000).emitWithAck("subscribe:payments")).toMatchObject({ ok: true, data: { scope: "tenant" } });
  const fewer = await p.token({ sub: "demoted", roles: ["ops"] });
  const ack = await s.timeout(5000).emitWithAck("authenticate", { token: fewer });
  expect(ack).toMatchObject({ ok: true });
  const got: string[] = [];
  s.on("role-news", (d: { role: string }) => got.push(d.role));
  s.on("payment_update", (d: { data: { userId: string } }) => got.push(`payment of ${d.data.userId}`));
  await publish({ kind: "role", id: "admin" }, "role-news", { role: "admin" });
  await publish({ kind: "role", id: "ops" }, "role-news", { role: "ops" });
  await publish({ kind: "payments" }, "payment_update", { data: { userId: "someone-else" } });
  await publish({ kind: "payments" }, "payment_update", { data: { userId: "demoted" } });
  await Bun.sleep(300);
  expect(got).toEqual(["ops", "payment of demoted"]);
  s.close();
});

test("a recovery with a token of fewer roles: the role rooms it no longer grants are left, nothing of them replayed", async () => {
  const token = await p.token({ sub: "demoted-2", roles: ["admin", "ops"] });
  const s = open(gw.url, token);
  await waitFor(s, "connect");
  expect(await s.timeout(5000).emitWithAck("join-data-sync", ["Kept"])).toMatchObject({ ok: true });
  const got: string[] = [];
  s.on("role-news", (d: { role: string }) => got.push(d.role));
  s.on("data-change", () => got.push("sync"));
  const first = waitFor(s, "role-news");
  await publish({ kind: "role", id: "ops" }, "role-news", { role: "ops" });
  await first;
  await drop(s);
  await publish({ kind: "role", id: "admin" }, "role-news", { role: "admin" });
  await publish({ kind: "role", id: "ops" }, "role-news", { role: "ops" });
  await Bun.sleep(200);
  (s as unknown as { auth: unknown }).auth = { token: await p.token({ sub: "demoted-2", roles: ["ops"] }) };
  const back = waitFor(s, "connect");
  s.connect();
  await back;
  expect(s.recovered).toBe(true);
  await Bun.sleep(200);
  await publish({ kind: "role", id: "admin" }, "role-news", { role: "admin" });
  await publish({ kind: "sync", id: "Kept" }, "data-change", { entityType: "Kept", action: "UPDATE", data: {} });
  await Bun.sleep(300);
  // ops before the drop, ops replayed; admin neither replayed nor live; the sync room kept.
  expect(got).toEqual(["ops", "ops", "sync"]);
  s.close();
});
