/**
 * The machine's NATS and Postgres restarted under traffic: no app is restarted, every process
 * reconnects by itself and work resumes; while Postgres is down requests fail with UNAVAILABLE
 * (never hang, never INTERNAL). Every acked message is stored once and delivered once.
 *
 * These stop the machine's nats-server and Postgres: nothing else may run meanwhile.
 */
import { describe, expect, test } from "bun:test";
import {
  ack,
  closeSql,
  createRoom,
  ensureInfraUp,
  failoverSocket,
  figures,
  http,
  newTenant,
  next,
  pgCtl,
  record,
  startNats,
  stopNats,
  storedIn,
  tally,
  tokenOf,
  traffic,
  until,
  type Socket,
  useCluster,
} from "./helpers.ts";

const env = useCluster({
  before: ensureInfraUp,
  after: async () => {
    await ensureInfraUp();
    await closeSql();
  },
  restoreAfterEach: false,
  afterAllMs: 90_000,
});
const open = env.open;

/** Sender on gateway 1, reader on gateway 2, both in one room. */
async function pair() {
  const tenant = newTenant();
  const roomId = await createRoom(env.cluster.gatewayUrls[0]!, tenant, ["sender", "reader"]);
  const sender = await failoverSocket(env.cluster.gatewayUrls, await tokenOf(tenant, "sender"), 0);
  const reader = await failoverSocket(env.cluster.gatewayUrls, await tokenOf(tenant, "reader"), 1);
  open.push(sender, reader);
  for (const s of [sender, reader]) expect(await ack(s, "join_room", { roomId })).toMatchObject({ ok: true });
  const arrivals: number[] = [];
  reader.on("message:new", () => arrivals.push(Date.now()));
  return { tenant, roomId, sender, reader, toReader: record(reader), arrivals };
}

/** How long after `up` the first ack and the first delivery to the other gateway's reader came. */
function resumed(t: ReturnType<typeof traffic>, arrivals: number[], up: number) {
  const firstAck = t.attempts.find((a) => a.t >= up && a.code === "OK")?.t;
  const firstDelivery = arrivals.find((a) => a >= up);
  return { ackResumedMs: firstAck ? firstAck - up : -1, deliveryResumedMs: firstDelivery ? firstDelivery - up : -1 };
}

const pidsOf = () => env.cluster.processes.map((p) => `${p.name}:${p.pid}:${p.alive}`);

/** A fresh message is acked and reaches the reader on the other gateway. */
async function roundTrip(sender: Socket, reader: Socket, roomId: number, id: string): Promise<boolean> {
  const got = next(reader, "message:new", 4000, (m: any) => m.clientMsgId === id).then(
    () => true,
    () => false,
  );
  const r = await ack(sender, "message:send", { roomId, content: id, clientMsgId: id }, 4000);
  return r.ok && (await got);
}

/** Every acked message stored once and delivered once; figures printed. */
async function settle(name: string, t: ReturnType<typeof traffic>, p: Awaited<ReturnType<typeof pair>>, extra: Record<string, number | string>) {
  const { sent, failed } = await t.stop();
  await until(() => p.toReader.of("message:new").length >= t.acked.size, 15_000, "reader got every acked message").catch(() => {});
  await Bun.sleep(500);
  const ours = (id: string) => t.acked.has(id) || t.attempts.some((a) => a.id === id);
  const stored = new Map([...(await storedIn(p.tenant, p.roomId))].filter(([id]) => ours(id)));
  const atReader = tally(
    p.toReader
      .of("message:new")
      .map((m) => m.clientMsgId)
      .filter(ours),
  );
  const acked = [...t.acked.keys()];
  const lost = acked.filter((id) => stored.get(id) !== 1 || atReader.counts.get(id) !== 1);
  const codes = tally(t.attempts.filter((a) => a.code !== "OK").map((a) => a.code));
  figures(name, {
    sent,
    attempts: t.attempts.length,
    acked: acked.length,
    failed: failed.length,
    stored: [...stored.values()].reduce((a, b) => a + b, 0),
    delivered: atReader.unique,
    duplicated: atReader.duplicated,
    lost: lost.length,
    errors: [...codes.counts].map(([c, n]) => `${c}x${n}`).join(",") || "none",
    ...extra,
  });
  if (lost.length) console.log(`  [figures] ${name}: lost ${lost.join(" ")}`);
  expect(failed).toEqual([]);
  expect(acked.length).toBe(sent);
  expect(lost).toEqual([]);
  expect([...stored.values()].every((n) => n === 1)).toBe(true);
  expect(atReader.duplicated).toBe(0);
  return { codes };
}

describe("infrastructure restarts under traffic", () => {
  test("NATS restart: gateways and services reconnect by themselves and work resumes", async () => {
    const p = await pair();
    const before = pidsOf();
    expect(await roundTrip(p.sender, p.reader, p.roomId, "warm-up")).toBe(true);
    const t = traffic(p.sender, p.roomId, "nats");
    await Bun.sleep(1500);

    const down = Date.now();
    await stopNats();
    await Bun.sleep(3000);
    await startNats();
    const up = Date.now();

    // Work resumes by itself: acks, then deliveries across gateways (bounded).
    await until(() => p.arrivals.some((a) => a >= up), 90_000, "a delivery to the other gateway after the NATS restart");
    const r = resumed(t, p.arrivals, up);
    // Every process is ready again on its own.
    await until(
      async () => (await Promise.all(env.cluster.processes.map((x) => http(x.readyUrl, {}, 1000)))).every((x) => x.status === 200),
      30_000,
      "every /ready after the NATS restart",
    );
    let probes = 0;
    await until(() => roundTrip(p.sender, p.reader, p.roomId, `after-nats-${probes++}`), 30_000, "send + delivery after the NATS restart", 250);
    await Bun.sleep(1500);
    await settle("NATS restart under traffic", t, p, { natsDownMs: up - down, ...r });
    // A NATS blip of a few seconds should not stall live deliveries for much longer than itself.
    expect(r.deliveryResumedMs).toBeLessThan(15_000);
    expect(pidsOf()).toEqual(before);
  });

  test("Postgres stop and start: UNAVAILABLE while it is down, success after, no app restarted", async () => {
    const p = await pair();
    const before = pidsOf();
    const token = await tokenOf(p.tenant, "sender");
    expect(await roundTrip(p.sender, p.reader, p.roomId, "warm-up")).toBe(true);
    const t = traffic(p.sender, p.roomId, "pg");
    await Bun.sleep(1500);

    const down = Date.now();
    await pgCtl("stop");
    // While it is down: the socket path and the REST path both answer UNAVAILABLE, quickly.
    const t0 = performance.now();
    const refused = await ack(p.sender, "message:send", { roomId: p.roomId, content: "x", clientMsgId: "while-down" }, 6000);
    const socketMs = performance.now() - t0;
    const rest = await http(`${env.cluster.gatewayUrls[1]}/api/chat/rooms`, { token }, 6000);
    expect(refused).toMatchObject({ ok: false, error: { code: "UNAVAILABLE" } });
    expect(rest.status).toBe(503);
    expect(rest.body).toMatchObject({ error: { code: "UNAVAILABLE" } });
    await Bun.sleep(2000);
    await pgCtl("start");
    const up = Date.now();

    await until(() => p.arrivals.some((a) => a >= up), 45_000, "a delivery after Postgres is back");
    const r = resumed(t, p.arrivals, up);
    let probes = 0;
    await until(() => roundTrip(p.sender, p.reader, p.roomId, `after-pg-${probes++}`), 30_000, "send + delivery after Postgres is back", 250);
    // REST works again too (each chat replica's pool replaces the connections Postgres dropped).
    let restFailuresAfterUp = 0;
    await until(
      async () => (await http(`${env.cluster.gatewayUrls[1]}/api/chat/rooms`, { token })).status === 200 || void restFailuresAfterUp++,
      10_000,
      "GET /api/chat/rooms answers 200 again",
    );
    // The message refused while down was not stored.
    await Bun.sleep(1500);
    const { codes } = await settle("Postgres stop/start under traffic", t, p, {
      pgDownMs: up - down,
      ...r,
      refusedSocketMs: Math.round(socketMs),
      refusedHttpMs: Math.round(rest.ms),
      restFailuresAfterUp,
      sendFailuresAfterUp: t.attempts.filter((a) => a.t > up + 1000 && a.code !== "OK").length,
    });
    // Failures while it was down were UNAVAILABLE, never INTERNAL or a hanging ack.
    expect([...codes.counts.keys()].filter((c) => c !== "UNAVAILABLE")).toEqual([]);
    expect(socketMs).toBeLessThan(6000);
    expect((await storedIn(p.tenant, p.roomId)).has("while-down")).toBe(false);
    expect(pidsOf()).toEqual(before);
  });
});
