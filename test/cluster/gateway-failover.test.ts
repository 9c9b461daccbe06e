/**
 * A gateway going away with clients attached. Clients are given every gateway's address and move
 * to the next one when theirs drops, keeping Socket.IO's session id and offset.
 * SIGTERM: the gateway exits within 10 s and its clients carry on elsewhere; the share of events
 * recovered is measured. SIGKILL: the client reconnects to another gateway and receives what it
 * missed, in order, no duplicates (`socket.recovered === true`, the cross-gateway delivery log).
 */
import { describe, expect, test } from "bun:test";
import { ack, createRoom, failoverSocket, figures, gatewayOf, newTenant, next, publish, tally, tokenOf, until, within, useCluster } from "./helpers.ts";

const env = useCluster();
const open = env.open;

/** Publishes data-change n = 0, 1, 2… to a sync room through `gatewayUrl`, every `everyMs`. */
function publisher(gatewayUrl: string, tenant: string, entityType: string, everyMs = 40) {
  const accepted: Array<{ n: number; t: number }> = [];
  let running = true;
  let n = 0;
  const loop = (async () => {
    while (running) {
      const k = n++;
      const t = Date.now();
      if (
        await publish(gatewayUrl, {
          tenantId: tenant,
          target: { kind: "sync", id: entityType },
          event: "data-change",
          data: { action: "UPDATE", data: { n: k }, userId: "system" },
        })
      )
        accepted.push({ n: k, t });
      await Bun.sleep(everyMs);
    }
  })();
  return {
    accepted,
    async stop() {
      running = false;
      await within(loop, 10_000, "publisher stop");
    },
  };
}

/** A client of the sync room that notes what it gets and when it drops and comes back. */
async function follower(tenant: string, sub: string, entityType: string, first: number) {
  const s = await failoverSocket(env.cluster.gatewayUrls, await tokenOf(tenant, sub), first);
  open.push(s);
  expect(await ack(s, "join-data-sync", { entityTypes: [entityType] })).toMatchObject({ ok: true });
  const got: number[] = [];
  const f = { s, sub, got, droppedAt: 0, backAt: 0, recovered: undefined as boolean | undefined, reason: "" };
  s.on("data-change", (d: any) => got.push(d.data.n));
  s.on("disconnect", (reason) => {
    f.droppedAt ||= Date.now();
    f.reason ||= reason;
  });
  s.on("connect", () => {
    if (f.droppedAt && !f.backAt) {
      f.backAt = Date.now();
      f.recovered = s.recovered;
    }
  });
  return f;
}

describe("a gateway going away with clients attached", () => {
  test("SIGTERM: it exits within 10 s, its clients reconnect to the other gateway; share of events recovered", async () => {
    const tenant = newTenant();
    const [gw1, gw2] = env.cluster.gatewayUrls as [string, string];
    const followers = await Promise.all(Array.from({ length: 6 }, (_, i) => follower(tenant, `f${i}`, "Board", 0)));
    for (const f of followers) expect(gatewayOf(f.s)).toBe(gw1);
    const pub = publisher(gw2, tenant, "Board");
    await until(() => followers.every((f) => f.got.length >= 10), 10_000, "events flowing to every client");

    const t0 = Date.now();
    const code = await env.cluster.gateways[0]!.kill("SIGTERM", 15_000);
    const exitMs = Date.now() - t0;
    await until(() => followers.every((f) => f.s.connected && gatewayOf(f.s) === gw2), 15_000, "every client on gateway 2");
    const movedMs = Math.max(...followers.map((f) => f.backAt - t0));
    await Bun.sleep(1500);
    await pub.stop();
    await Bun.sleep(1000);

    // Per client: every event accepted after its first one, the ones published while it was away.
    let gap = 0;
    let recoveredInGap = 0;
    let missed = 0;
    let duplicated = 0;
    let disordered = 0;
    for (const f of followers) {
      const from = f.got[0]!;
      const expected = pub.accepted.filter((a) => a.n >= from).map((a) => a.n);
      const seen = tally(f.got);
      duplicated += seen.duplicated;
      missed += expected.filter((n) => !seen.counts.has(n)).length;
      disordered += f.got.some((n, i) => i > 0 && n <= f.got[i - 1]!) ? 1 : 0;
      const away = pub.accepted.filter((a) => a.t >= f.droppedAt && a.t <= f.backAt).map((a) => a.n);
      gap += away.length;
      recoveredInGap += away.filter((n) => seen.counts.has(n)).length;
    }
    const share = gap ? recoveredInGap / gap : 1;
    figures("gateway SIGTERM", {
      clients: followers.length,
      exitCode: String(code),
      exitMs,
      movedWithinMs: movedMs,
      reasons: [...new Set(followers.map((f) => f.reason))].join("|"),
      socketsRecovered: followers.filter((f) => f.recovered).length,
      sent: pub.accepted.length,
      delivered: followers.reduce((n, f) => n + f.got.length, 0),
      sentWhileAway: gap,
      recovered: recoveredInGap,
      recoveredShare: `${(share * 100).toFixed(1)}%`,
      missed,
      duplicated,
      disordered,
    });
    expect(code).toBe(0);
    expect(exitMs).toBeLessThan(10_000);
    expect(duplicated).toBe(0);
    expect(disordered).toBe(0);
    // Nothing accepted is lost: what was published while a client moved is recovered on the other gateway.
    expect(missed).toBe(0);
    expect(followers.every((f) => f.recovered === true)).toBe(true);
    await env.cluster.gateways[0]!.restart();
  });

  test("SIGKILL: the client reconnects to another gateway and receives what it missed, in order, once (socket.recovered)", async () => {
    const tenant = newTenant();
    const [gw1, gw2] = env.cluster.gatewayUrls as [string, string];
    const roomId = await createRoom(gw1, tenant, ["mover", "talker"]);
    const f = await follower(tenant, "mover", "Ledger", 1);
    expect(gatewayOf(f.s)).toBe(gw2);
    expect(await ack(f.s, "join_room", { roomId })).toMatchObject({ ok: true });
    const talker = await failoverSocket(env.cluster.gatewayUrls, await tokenOf(tenant, "talker"), 0);
    open.push(talker);
    const chat: string[] = [];
    f.s.on("message:new", (m: any) => chat.push(m.content));

    const pub = publisher(gw1, tenant, "Ledger", 50);
    await until(() => f.got.length >= 10, 10_000, "events flowing");
    const t0 = Date.now();
    await env.cluster.gateways[1]!.kill("SIGKILL");
    // Chat messages sent while it is away are part of what it missed.
    for (let i = 0; i < 3; i++) expect(await ack(talker, "message:send", { roomId, content: `away-${i}` })).toMatchObject({ ok: true });
    await until(() => f.s.connected && gatewayOf(f.s) === gw1, 120_000, "reconnected to gateway 1 within 2 minutes");
    const backMs = Date.now() - t0;
    await Bun.sleep(1000);
    await pub.stop();
    await Bun.sleep(800);

    // Its rooms came along: a live message after the move arrives without a new join_room.
    const live = next(f.s, "message:new", 5000, (m: any) => m.content === "after");
    expect(await ack(talker, "message:send", { roomId, content: "after" })).toMatchObject({ ok: true });
    await live.catch(() => {});

    const from = f.got[0]!;
    const expected = pub.accepted.filter((a) => a.n >= from).map((a) => a.n);
    const seen = tally(f.got);
    const missed = expected.filter((n) => !seen.counts.has(n));
    const away = pub.accepted.filter((a) => a.t >= f.droppedAt && a.t <= f.backAt).map((a) => a.n);
    figures("gateway SIGKILL", {
      reconnectMs: backMs,
      reason: f.reason,
      recoveredFlag: String(f.recovered),
      sent: pub.accepted.length,
      delivered: f.got.length,
      sentWhileAway: away.length,
      recovered: away.filter((n) => seen.counts.has(n)).length,
      missed: missed.length,
      duplicated: seen.duplicated,
      chat: chat.join(","),
      ...(missed.length ? { missedN: missed.join(","), awayN: away.join(","), tail: f.got.slice(-12).join(",") } : {}),
    });
    expect(backMs).toBeLessThan(120_000);
    expect(f.recovered).toBe(true);
    expect(missed).toEqual([]);
    expect(seen.duplicated).toBe(0);
    expect(f.got).toEqual([...f.got].sort((a, b) => a - b));
    expect(chat).toEqual(["away-0", "away-1", "away-2", "after"]);
    await env.cluster.gateways[1]!.restart();
  });
});
