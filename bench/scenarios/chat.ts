/** Scenario 3: chat end to end — sockets in rooms of 20, message:send at a fixed total rate; emit → last member's receipt. */
import { cfg, QUICK } from "../lib/config.ts";
import { inRoundOrder, put, sidesFrom, type Ctx } from "../lib/context.ts";
import { runChat, stallNote, setupChat, storedCount, type ChatResult } from "../lib/chat.ts";
import { startSide, type SideKind } from "../lib/servers.ts";
import { closeWorkers, spawnWorkers } from "../lib/workers.ts";

export async function chat(ctx: Ctx) {
  const c = cfg.chat;
  ctx.log(`chat: ${c.sockets} sockets in rooms of ${c.roomSize}, ${c.rate} message:send/s for ${c.durationMs} ms`);
  const sides = sidesFrom(
    "BENCH_CHAT_SIDES",
    QUICK ? ["platform-embedded", "platform-real", "baseline-node"] : ["platform-embedded", "platform-real", "baseline-node", "baseline-bun"],
  );
  type Run = ChatResult & { connected: number };
  const runs: Partial<Record<SideKind, Run[]>> = {};
  for (let round = 0; round < c.rounds; round++) {
    for (const kind of inRoundOrder(sides, round)) {
      const side = await startSide(kind);
      const workers = await spawnWorkers(c.workers);
      try {
        const setup = await setupChat(side, workers, c.sockets, c.roomSize, "chat");
        const r = await runChat(setup, workers, c);
        r.stored = await storedCount(setup);
        (runs[kind] ??= []).push({ ...r, connected: setup.connected });
        ctx.log(
          `  ${kind}${c.rounds > 1 ? ` (round ${round + 1})` : ""}: sockets ${setup.connected} (join failed ${setup.joinFailed}), sent ${r.sent} acked ${r.acked} stored ${r.stored} delivered ${r.delivered}/${r.expected}, p50 ${r.p50.toFixed(1)} p99 ${r.p99.toFixed(1)} ms, ack p99 ${r.ackP99.toFixed(1)}, errors ${JSON.stringify(r.ackErrors)}, cpu ${JSON.stringify(Object.fromEntries(Object.entries(r.cpu).map(([k, v]) => [k, Math.round(v)])))}${stallNote(r)}`,
        );
      } finally {
        await closeWorkers(workers);
        await side.stop();
      }
    }
  }
  // Each side's run with the median p99 (a real run, so its counts agree with each other).
  const res: Partial<Record<SideKind, Run>> = Object.fromEntries(
    Object.entries(runs).map(([k, rs]) => [k, [...rs!].sort((a, b) => a.p99 - b.p99)[Math.floor((rs!.length - 1) / 2)]!]),
  );
  ctx.raw.chatRounds = Object.fromEntries(Object.entries(runs).map(([k, rs]) => [k, rs!.map((r) => ({ p50: r.p50, p99: r.p99, acked: r.acked, sent: r.sent, cpu: r.cpu }))]));
  ctx.raw.chat = Object.fromEntries(Object.entries(res).map(([k, v]) => [k, { ...v }]));
  const pick = (f: (r: ChatResult) => number | string) => put(Object.fromEntries(Object.entries(res).map(([k, v]) => [k, f(v!)])));
  /** Messages not acked plus receipts still missing when the drain ended. */
  const lost = (r: ChatResult) => r.sent - r.acked + (r.expected - r.delivered);
  const base = res["baseline-node"];
  const p = res["platform-real"] ?? res["platform-embedded"];
  const ratioOf = res["platform-real"] ? "NATS+PG" : "embedded";
  const worstP99 = Math.max(...(["platform-embedded", "platform-real"] as const).filter((k) => res[k]).map((k) => res[k]!.p99));
  const anyLost = (["platform-embedded", "platform-real"] as const).filter((k) => res[k]).some((k) => lost(res[k]!) > 0 || (res[k]!.stored ?? res[k]!.acked) !== res[k]!.acked);
  ctx.rows.push(
    { scenario: "3 chat", metric: "p50 emit → last member, ms", ...pick((r) => r.p50), digits: 1, ratio: p && base ? p.p50 / base.p50 : undefined, ratioOf },
    {
      scenario: "3 chat",
      metric: "p99 emit → last member, ms",
      ...pick((r) => r.p99),
      digits: 1,
      ratio: p && base ? p.p99 / base.p99 : undefined,
      ratioOf,
      target: "≤ 25 ms and ≤ 1.5× baseline",
      status: worstP99 <= 25 && (!base || worstP99 <= 1.5 * base.p99) ? "met" : "missed",
    },
    { scenario: "3 chat", metric: "sent / acked / stored", ...pick((r) => `${r.sent} / ${r.acked} / ${r.stored ?? "?"}`) },
    {
      scenario: "3 chat",
      metric: "delivered / expected (missing after the 5 s drain)",
      ...pick((r) => `${r.delivered} / ${r.expected} (${lost(r)})`),
      target: "0 lost",
      status: anyLost ? "missed" : "met",
    },
    { scenario: "3 chat", metric: "server CPU, % of a core", ...pick((r) => r.cpu.server!), digits: 0, ratio: p && base ? p.cpu.server! / base.cpu.server! : undefined, ratioOf },
    {
      scenario: "3 chat",
      metric: "CPU per stored message, ms (server + NATS + Postgres)",
      ...pick((r) => perStored(r)),
      digits: 2,
      ratio: p && base ? perStored(p) / perStored(base) : undefined,
      ratioOf,
      target: "≤ 1.0× baseline",
      status: p && base ? (perStored(p) <= perStored(base) ? "met" : "missed") : undefined,
    },
    { scenario: "3 chat", metric: "generator CPU, % of a core (the box has 200)", ...pick((r) => r.cpu.generator ?? 0), digits: 0 },
  );
}

/** CPU milliseconds of the side's processes (server, NATS, Postgres; not the generator) per stored message. */
function perStored(r: ChatResult): number {
  const pct = (r.cpu.server ?? 0) + (r.cpu.nats ?? 0) + (r.cpu.postgres ?? 0);
  return ((pct / 100) * r.cpuWindowMs) / Math.max(1, r.stored ?? r.acked);
}
