import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { io as ioClient } from "socket.io-client";
import { emitAck, startPlatform, type ClientSocket, type TestPlatform } from "@rt/testkit";

/** Per-tenant limits: one noisy tenant is refused (RATE_LIMITED) while the others carry on. */
const run = crypto.randomUUID().slice(0, 8);
const BIG = `big-${run}`;
let n = 0;
const tenant = () => `t${++n}-${run}`;

let p: TestPlatform;
beforeAll(async () => {
  p = await startPlatform({
    env: {
      TENANT_MAX_CONNECTIONS: "2",
      TENANT_RATE_MESSAGES: "6",
      TENANT_MAX_SYNC_ROOMS: "3",
      TENANT_LIMITS: JSON.stringify({ [BIG]: { connections: 4, messagesPerMinute: 12 } }),
      TENANT_METRICS_TOP: "1",
      RATE_LIMIT_DEFAULT: "1000",
    },
  });
}, 60_000);
afterAll(async () => {
  for (const s of opened) s.close();
  await p?.stop();
});

/** A connect that may be refused: the socket, or the connect_error's message and data. */
const opened: ClientSocket[] = [];
async function open(tenantId: string, sub: string): Promise<{ socket: ClientSocket; error?: { message: string; data?: { code?: string } } }> {
  const token = await p.token({ sub, tenantId });
  const socket = ioClient(p.url, { auth: { token }, transports: ["websocket"], reconnection: false, forceNew: true });
  opened.push(socket);
  return new Promise((resolve) => {
    socket.once("connect", () => resolve({ socket }));
    socket.once("connect_error", (e: Error & { data?: { code?: string } }) => resolve({ socket, error: { message: e.message, data: e.data } }));
  });
}
const metricLines = async () => (await (await p.fetch("/metrics")).text()).split("\n").filter((l) => l.startsWith("rt_gateway_tenant_limited_total{"));

describe("per-tenant limits", () => {
  test("connections per tenant: the next handshake is RATE_LIMITED; other tenants and overrides are unaffected; a closed socket frees its place", async () => {
    const A = tenant();
    const a1 = await open(A, "u1");
    const a2 = await open(A, "u2");
    expect([a1.error, a2.error]).toEqual([undefined, undefined]);
    const a3 = await open(A, "u3");
    expect(a3.error).toMatchObject({ message: "too many connections for this tenant (max 2)", data: { code: "RATE_LIMITED" } });
    expect((await open(tenant(), "u1")).error).toBeUndefined();
    const big = await Promise.all([1, 2, 3, 4, 5].map((i) => open(BIG, `u${i}`)));
    expect(big.filter((b) => b.error).length).toBe(1);
    a1.socket.close();
    await Bun.sleep(200);
    expect((await open(A, "u4")).error).toBeUndefined();
  });

  test("messages per minute per tenant: past it RATE_LIMITED, while another tenant's events still pass", async () => {
    const A = tenant();
    const B = tenant();
    const a = (await open(A, "u1")).socket;
    const a2 = (await open(A, "u2")).socket;
    const b = (await open(B, "u1")).socket;
    const codes: string[] = [];
    // Two users of one tenant share its budget (6 a minute), whatever their own budgets.
    for (let i = 0; i < 4; i++) for (const s of [a, a2]) codes.push((await emitAck(s, "join-user-room", {})).ok ? "OK" : "LIMITED");
    expect(codes.filter((c) => c === "OK").length).toBe(6);
    const refused = await emitAck(a, "join-user-room", {});
    expect(refused).toMatchObject({ ok: false, error: { code: "RATE_LIMITED", message: "too many events for this tenant, slow down" } });
    expect((await emitAck(b, "join-user-room", {})).ok).toBe(true);
  });

  test("sync rooms per tenant: a new room past the limit is RATE_LIMITED; existing rooms can still be joined; leaving frees one", async () => {
    const A = tenant();
    const s1 = (await open(A, "u1")).socket;
    const s2 = (await open(A, "u2")).socket;
    expect((await emitAck(s1, "join-data-sync", { entityTypes: ["T1", "T2"] })).ok).toBe(true);
    expect((await emitAck(s2, "join-data-sync", { entityTypes: ["T3"] })).ok).toBe(true);
    expect(await emitAck(s2, "join-data-sync", { entityTypes: ["T4"] })).toMatchObject({ ok: false, error: { code: "RATE_LIMITED" } });
    expect((await emitAck(s2, "join-data-sync", { entityTypes: ["T1"] })).ok).toBe(true);
    expect((await emitAck(s2, "leave-data-sync", { entityTypes: ["T3"] })).ok).toBe(true);
    expect((await emitAck(s1, "join-data-sync", { entityTypes: ["T4"] })).ok).toBe(true);
    const other = (await open(tenant(), "u1")).socket;
    expect((await emitAck(other, "join-data-sync", { entityTypes: ["T1", "T2", "T3"] })).ok).toBe(true);
  });

  test("refusals are counted by tenant and limit with bounded labels: overridden and top tenants by name, the rest `other`", async () => {
    const lines = await metricLines();
    const tenants = new Set(lines.map((l) => /tenant="([^"]*)"/.exec(l)?.[1]));
    // TENANT_METRICS_TOP=1: the first refused tenant and the configured BIG, every later one `other`.
    expect(tenants.has(BIG)).toBe(true);
    expect(tenants.has("other")).toBe(true);
    expect(tenants.size).toBe(3);
    expect(lines.some((l) => l.includes('limit="connections"'))).toBe(true);
    expect(lines.some((l) => l.includes('limit="messages"'))).toBe(true);
    expect(lines.some((l) => l.includes('limit="sync_rooms"'))).toBe(true);
  });
});
