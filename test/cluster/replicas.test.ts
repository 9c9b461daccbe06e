/**
 * Service replicas under faults: a chat replica killed (-9) or stopped (SIGTERM) under a steady
 * stream of acked sends loses and duplicates nothing; a service with no replica left answers
 * UNAVAILABLE at once instead of leaving the client waiting.
 */
import { describe, expect, test } from "bun:test";
import { ack, allUp, closeSql, createRoom, failoverSocket, figures, http, newTenant, record, storedIn, tally, tokenOf, until, type Socket, useCluster } from "./helpers.ts";

const env = useCluster({ after: closeSql });
const open = env.open;

/**
 * Send `count` messages with acks, `concurrency` in flight, each retried with its clientMsgId on
 * UNAVAILABLE / no ack (what a client does) until acked or 40 s pass. `at(i)` runs before send i.
 */
async function sendStream(s: Socket, roomId: number, prefix: string, count: number, at: (i: number) => void, concurrency = 4) {
  const acked = new Set<string>();
  const failed: Array<{ id: string; code: string }> = [];
  const codes: string[] = [];
  const log: Array<{ id: string; code: string }> = [];
  let attempts = 0;
  let nextIndex = 0;
  const worker = async () => {
    for (let i = nextIndex++; i < count; i = nextIndex++) {
      at(i);
      const id = `${prefix}-${i}`;
      const deadline = Date.now() + 40_000;
      for (;;) {
        attempts++;
        const r = await ack(s, "message:send", { roomId, content: `m${i}`, clientMsgId: id }, 7000);
        log.push({ id, code: r.ok ? "OK" : r.error?.code });
        if (r.ok) {
          acked.add(id);
          break;
        }
        const code = r.error?.code;
        codes.push(code);
        if ((code !== "UNAVAILABLE" && code !== "TIMEOUT") || Date.now() > deadline) {
          failed.push({ id, code });
          break;
        }
        await Bun.sleep(200);
      }
      await Bun.sleep(10);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { acked, failed, attempts, codes, log };
}

async function chatFault(signal: "SIGKILL" | "SIGTERM") {
  const tenant = newTenant();
  const [gw1] = env.cluster.gatewayUrls as [string, string];
  const roomId = await createRoom(gw1, tenant, ["sender", "reader"]);
  const sender = await failoverSocket(env.cluster.gatewayUrls, await tokenOf(tenant, "sender"), 0);
  const reader = await failoverSocket(env.cluster.gatewayUrls, await tokenOf(tenant, "reader"), 1);
  open.push(sender, reader);
  for (const s of [sender, reader]) expect(await ack(s, "join_room", { roomId })).toMatchObject({ ok: true });
  const toReader = record(reader);
  const toSender = record(sender);

  const COUNT = 150;
  const victim = env.cluster.of("chat")[signal === "SIGKILL" ? 0 : 1]!;
  let exit: Promise<number | null> | undefined;
  let exitMs = 0;
  const t0 = Date.now();
  const run = await sendStream(sender, roomId, `${signal}`, COUNT, (i) => {
    if (i === Math.floor(COUNT / 3) && !exit) {
      const k0 = Date.now();
      exit = victim.kill(signal, 15_000).then((code) => ((exitMs = Date.now() - k0), code));
    }
  });
  const code = await exit;
  const elapsed = Date.now() - t0;

  // Deliveries still in flight settle; a duplicate would show up here too.
  await until(() => toReader.of("message:new").length >= run.acked.size, 10_000, "reader got every acked message").catch(() => {});
  await Bun.sleep(500);
  const stored = await storedIn(tenant, roomId);
  const atReader = tally(toReader.of("message:new").map((m) => m.clientMsgId));
  const atSender = tally(toSender.of("message:new").map((m) => m.clientMsgId));
  const ackedIds = [...run.acked];
  const storedOnce = ackedIds.filter((id) => stored.get(id) === 1).length;
  const deliveredOnce = ackedIds.filter((id) => atReader.counts.get(id) === 1).length;
  const lost = ackedIds.filter((id) => stored.get(id) !== 1 || atReader.counts.get(id) !== 1);
  figures(`chat replica ${signal} under ${COUNT} sends`, {
    sent: COUNT,
    attempts: run.attempts,
    retried: run.attempts - COUNT,
    errors: [...tally(run.codes).counts].map(([c, n]) => `${c}x${n}`).join(",") || "none",
    acked: run.acked.size,
    failed: run.failed.length,
    stored: [...stored.values()].reduce((a, b) => a + b, 0),
    storedOnce,
    delivered: atReader.unique,
    deliveredOnce,
    duplicated: atReader.duplicated + atSender.duplicated,
    lost: lost.length,
    victimExit: String(code),
    victimExitMs: exitMs,
    ms: elapsed,
  });
  for (const id of lost) {
    console.log(
      `  [figures] lost ${id}: stored ${stored.get(id) ?? 0}x, at reader ${atReader.counts.get(id) ?? 0}x, at sender ${atSender.counts.get(id) ?? 0}x, attempts ${run.log
        .filter((a) => a.id === id)
        .map((a) => a.code)
        .join(" ")}`,
    );
  }
  expect(run.failed).toEqual([]);
  expect(run.acked.size).toBe(COUNT);
  // Every acked message stored once and delivered once, to the other gateway's reader and back to the sender.
  expect(storedOnce).toBe(run.acked.size);
  expect([...stored.values()].every((n) => n === 1)).toBe(true);
  expect(deliveredOnce).toBe(run.acked.size);
  expect(atReader.duplicated).toBe(0);
  expect(atSender.duplicated).toBe(0);
  expect(atSender.unique).toBe(run.acked.size);
  return { code, exitMs, codes: run.codes };
}

describe("chat replicas under a steady stream of acked sends", () => {
  test("kill -9 one of two: every acked message stored once and delivered once", async () => {
    await chatFault("SIGKILL");
  });

  test("SIGTERM one of two: it finishes in-flight work and exits; nothing acked is lost", async () => {
    const { code, exitMs, codes } = await chatFault("SIGTERM");
    expect(code).toBe(0);
    expect(exitMs).toBeLessThan(10_000);
    // Graceful: requests already on their way to the stopping replica are answered, none times out.
    expect(codes).toEqual([]);
  });
});

describe("no replica running", () => {
  test("requests to a service with no replica answer UNAVAILABLE in under a second, then work again", async () => {
    const tenant = newTenant();
    const [gw1] = env.cluster.gatewayUrls as [string, string];
    const roomId = await createRoom(gw1, tenant, ["caller", "callee"]);
    const s = await failoverSocket(env.cluster.gatewayUrls, await tokenOf(tenant, "caller"), 1);
    open.push(s);
    const token = await tokenOf(tenant, "caller");
    const ok = await ack(s, "call:initiated", { roomId, callType: "AUDIO" });
    expect(ok).toMatchObject({ ok: true });

    const calls = env.cluster.of("calls");
    await Promise.all(calls.map((c) => c.kill("SIGKILL")));
    // "No replica running": give the NATS server a moment to see the dead connections go (a request
    // racing the kill itself waits out the gateway's 5 s timeout instead, as one in flight would).
    await Bun.sleep(1000);
    const t0 = performance.now();
    const refused = await ack(s, "call:initiated", { roomId, callType: "VIDEO" }, 5000);
    const socketMs = performance.now() - t0;
    const rest = await http(`${gw1}/api/calls/${ok.data.id}`, { token }, 5000);
    figures("no calls replica", { socketCode: refused.error?.code, socketMs: Math.round(socketMs), httpStatus: rest.status, httpMs: Math.round(rest.ms) });
    expect(refused).toMatchObject({ ok: false, error: { code: "UNAVAILABLE" } });
    expect(socketMs).toBeLessThan(1000);
    expect(rest.status).toBe(503);
    expect(rest.body).toMatchObject({ error: { code: "UNAVAILABLE" } });
    expect(rest.ms).toBeLessThan(1000);

    await allUp(env.cluster);
    expect(await ack(s, "call:initiated", { roomId, callType: "AUDIO" })).toMatchObject({ ok: true });
    expect((await http(`${gw1}/api/calls/${ok.data.id}`, { token })).status).toBe(200);
  });
});
