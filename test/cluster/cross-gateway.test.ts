/**
 * Two gateways, two replicas of every service, separate processes: clients on different gateways
 * see each other's events exactly once, and presence is one view of the whole env.cluster.
 */
import { describe, expect, test } from "bun:test";
import { ack, createRoom, failoverSocket, figures, gatewayOf, http, newTenant, publish, record, tally, tokenOf, until, useCluster } from "./helpers.ts";

const env = useCluster();
const open = env.open;

/** A socket of `sub` on gateway `gw` (0-based). */
async function on(gw: number, tenant: string, sub: string, roles: string[] = []) {
  const s = await failoverSocket(env.cluster.gatewayUrls, await tokenOf(tenant, sub, roles), gw);
  open.push(s);
  return s;
}

describe("two clients on different gateways", () => {
  test("chat room, role room, tenant and sync room: each other's events, exactly once", async () => {
    const tenant = newTenant();
    const [gw1, gw2] = env.cluster.gatewayUrls as [string, string];
    const a = await on(0, tenant, "ann", ["admin"]);
    const b = await on(1, tenant, "bob", ["admin"]);
    expect(gatewayOf(a)).toBe(gw1);
    expect(gatewayOf(b)).toBe(gw2);
    const ra = record(a);
    const rb = record(b);

    // Chat room: each sends three, both get all six once.
    const roomId = await createRoom(gw1, tenant, ["ann", "bob"]);
    expect(await ack(a, "join_room", { roomId })).toMatchObject({ ok: true });
    expect(await ack(b, "join_room", { roomId })).toMatchObject({ ok: true });
    const sent: number[] = [];
    for (let i = 0; i < 3; i++) {
      for (const [s, who] of [
        [a, "a"],
        [b, "b"],
      ] as const) {
        const r = await ack(s, "message:send", { roomId, content: `${who}${i}`, clientMsgId: `${who}${i}` });
        expect(r).toMatchObject({ ok: true });
        sent.push(r.data.id);
      }
    }

    // Role room: the publish API on either gateway reaches both admins.
    for (const [n, gw] of [
      [1, gw1],
      [2, gw2],
    ] as const) {
      expect(await publish(gw, { tenantId: tenant, target: { kind: "role", id: "admin" }, event: "role-news", data: { n } })).toBe(true);
    }
    // Tenant: user:activity from one reaches the other (not the sender); a system notification both.
    expect(await ack(a, "user:activity", { action: "a-editing" })).toMatchObject({ ok: true });
    expect(await ack(b, "user:activity", { action: "b-editing" })).toMatchObject({ ok: true });
    expect(await publish(gw2, { tenantId: tenant, target: { kind: "tenant" }, event: "system-notification", data: { title: "t", message: "m", level: "info" } })).toBe(true);
    // Sync room: both join; changes published through each gateway reach both, seq rising by one.
    expect(await ack(a, "join-data-sync", { entityTypes: ["Rental"] })).toMatchObject({ ok: true });
    expect(await ack(b, "join-data-sync", { entityTypes: ["Rental"] })).toMatchObject({ ok: true });
    for (const [n, gw] of [
      [1, gw1],
      [2, gw2],
      [3, gw1],
    ] as const) {
      expect(await publish(gw, { tenantId: tenant, target: { kind: "sync", id: "Rental" }, event: "data-change", data: { action: "UPDATE", data: { n }, userId: "ann" } })).toBe(
        true,
      );
    }

    const expected = (r: typeof ra, other: string) =>
      r.of("message:new").length >= 6 &&
      r.of("role-news").length >= 2 &&
      r.of("system-notification").length >= 1 &&
      r.of("data-change").length >= 3 &&
      r.of("user:activity").some((d) => d.action === `${other}-editing`);
    await until(() => expected(ra, "b") && expected(rb, "a"), 10_000, "every event on both sockets");
    await Bun.sleep(500); // anything late would be a duplicate

    for (const [name, r, self] of [
      ["a", ra, "ann"],
      ["b", rb, "bob"],
    ] as const) {
      const msgs = tally(r.of("message:new").map((m) => m.id));
      expect(msgs.duplicated).toBe(0);
      expect([...msgs.counts.keys()].sort()).toEqual([...sent].sort());
      expect(
        r
          .of("role-news")
          .map((d) => d.n)
          .sort(),
      ).toEqual([1, 2]);
      expect(r.of("system-notification").length).toBe(1);
      const changes = r.of("data-change");
      expect(changes.map((d) => d.data.n)).toEqual([1, 2, 3]);
      // One sequence per tenant and entity type across gateways.
      expect(changes.map((d) => d.seq - changes[0].seq)).toEqual([0, 1, 2]);
      // user:activity: the other's once, never one's own.
      const acts = r.of("user:activity");
      expect(acts.map((d) => d.userId)).toEqual([self === "ann" ? "bob" : "ann"]);
      figures(`exactly once, socket ${name}`, {
        "message:new": r.of("message:new").length,
        "role-news": r.of("role-news").length,
        "system-notification": r.of("system-notification").length,
        "data-change": changes.length,
        "user:activity": acts.length,
        duplicated: msgs.duplicated,
      });
    }
  });
});

describe("presence across gateways", () => {
  test("user:online / user:offline once per user; presence:list and connectedClients cover every gateway", async () => {
    const tenant = newTenant();
    const watcher = await on(0, tenant, "watcher");
    const rec = record(watcher);
    const tab1 = await on(1, tenant, "multi");
    await until(() => rec.of("user:online").some((d) => d.userId === "multi"), 5000, "user:online of multi");
    // A second tab of the same user on the other gateway: no second user:online.
    const tab2 = await on(0, tenant, "multi");
    const list = await ack(watcher, "presence:list");
    expect(list.data.users.map((u: any) => u.userId).sort()).toEqual(["multi", "watcher"]);

    // connectedClients sums every gateway, asked through either one (heartbeats carry the counts).
    const total = env.cluster.gatewayUrls.length;
    const count = async (gw: string) => (await http(`${gw}/api/socket`)).body?.connectedClients;
    const connected = open.filter((s) => s.connected).length;
    for (const gw of env.cluster.gatewayUrls) {
      await until(async () => (await count(gw)) === connected, 5000, `connectedClients on ${gw} = ${connected}`);
    }
    figures("presence", { gateways: total, sockets: connected, connectedClients: await count(env.cluster.gatewayUrls[0]!) });

    tab1.close();
    await Bun.sleep(1500);
    expect(rec.of("user:offline").filter((d) => d.userId === "multi")).toEqual([]);
    tab2.close();
    await until(() => rec.of("user:offline").some((d) => d.userId === "multi"), 5000, "user:offline of multi");
    await Bun.sleep(500);
    expect(rec.of("user:online").filter((d) => d.userId === "multi").length).toBe(1);
    expect(rec.of("user:offline").filter((d) => d.userId === "multi").length).toBe(1);
    watcher.close();
  });

  test("a gateway killed with SIGKILL: its users are offline for the others within 5 s", async () => {
    const tenant = newTenant();
    const watcher = await on(0, tenant, "survivor");
    const rec = record(watcher);
    // Users only on gateway 2 (no reconnection: they must stay gone).
    const victims = await Promise.all(["v1", "v2", "v3"].map((u) => on(1, tenant, u)));
    for (const v of victims) v.io.reconnection(false);
    await until(() => ["v1", "v2", "v3"].every((u) => rec.of("user:online").some((d) => d.userId === u)), 5000, "victims online");
    const gw2 = env.cluster.gateways[1]!;
    const t0 = Date.now();
    await gw2.kill("SIGKILL");
    await until(() => ["v1", "v2", "v3"].every((u) => rec.of("user:offline").some((d) => d.userId === u)), 5000, "victims offline within 5 s");
    const ms = Date.now() - t0;
    // presence:list may be answered by the other presence replica, whose sweep runs on its own
    // clock: it agrees within the same 5 s.
    await until(
      async () => JSON.stringify((await ack(watcher, "presence:list")).data?.users.map((u: any) => u.userId)) === JSON.stringify(["survivor"]),
      Math.max(500, 5000 - (Date.now() - t0)),
      "presence:list without the dead gateway's users within 5 s",
    );
    // Only gateway 1 is left: the count is its sockets (others' clients moved there too).
    await until(
      async () => (await http(`${env.cluster.gatewayUrls[0]}/api/socket`)).body?.connectedClients === open.filter((s) => s.connected).length,
      5000,
      "connectedClients = the sockets still connected",
    );
    figures("gateway SIGKILL -> offline", { users: 3, offlineAfterMs: ms, offlineEvents: rec.of("user:offline").length });
    expect(ms).toBeLessThan(5000);
    await gw2.restart();
  });
});
