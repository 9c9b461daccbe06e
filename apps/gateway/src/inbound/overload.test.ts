import { afterAll, beforeAll, expect, test } from "bun:test";
import { emitAck, startPlatform, type TestPlatform } from "@rt/testkit";

let p: TestPlatform;
beforeAll(async () => {
  // A tiny in-flight bound so a burst from one test overloads chat, whatever the machine's speed.
  p = await startPlatform({ env: { RATE_LIMIT_MESSAGE: "100000", SERVICE_MAX_INFLIGHT: "4" } });
}, 60_000);
afterAll(async () => {
  await p?.stop();
});

/** Every clientMsgId stored in the room, over the REST history. */
async function storedIds(token: string, roomId: number): Promise<string[]> {
  const out: string[] = [];
  let before: number | null | undefined;
  do {
    const res = await p.fetch(`/api/chat/rooms/${roomId}/messages?limit=100${before ? `&before=${before}` : ""}`, { token });
    const page = (await res.json()) as { messages: { clientMsgId?: string }[]; nextBefore: number | null };
    out.push(...page.messages.map((m) => m.clientMsgId!));
    before = page.nextBefore;
  } while (before);
  return out;
}

test("overload: past the in-flight bound a send is refused at once with UNAVAILABLE and retryAfterMs; what was acked is stored, what was refused is not", async () => {
  const token = await p.token({ sub: "burst-a" });
  const created = await p.fetch("/api/chat/rooms", { method: "POST", token, json: { name: "burst", memberIds: ["burst-b"] } });
  const roomId = ((await created.json()) as { id: number }).id;
  const sockets = await Promise.all(["burst-a", "burst-b"].map((sub) => p.connect({ sub })));
  for (const s of sockets) expect((await emitAck(s, "join_room", { roomId })).ok).toBe(true);

  const started = performance.now();
  const sends = sockets.flatMap((s, i) =>
    Array.from({ length: 150 }, (_, n) => {
      const clientMsgId = `b${i}-${n}`;
      return emitAck(s, "message:send", { roomId, content: "burst", clientMsgId }, 20_000).then((ack) => ({ clientMsgId, ack, ms: performance.now() - started }));
    }),
  );
  const results = await Promise.all(sends);
  const accepted = results.filter((r) => r.ack.ok);
  const refused = results.filter((r) => !r.ack.ok);
  expect(accepted.length).toBeGreaterThan(0);
  for (const r of refused) {
    expect(r.ack).toMatchObject({ ok: false, error: { code: "UNAVAILABLE", retryAfterMs: expect.any(Number) } });
  }
  // Over a network bus the burst is in flight at once and the bound refuses the excess. The
  // in-process bus with PGlite finishes each send before the gateway reads the next frame, so
  // nothing is ever in flight together there (its overload is event-loop backlog, not bounded here).
  if (p.mode !== "embedded") {
    expect(refused.length).toBeGreaterThan(0);
    // Refusals do not wait for the accepted work: the first comes back before the last accepted one.
    expect(Math.min(...refused.map((r) => r.ms))).toBeLessThan(Math.max(...accepted.map((r) => r.ms)));
  }

  const stored = new Set(await storedIds(token, roomId));
  expect(accepted.every((r) => stored.has(r.clientMsgId))).toBe(true);
  expect(refused.some((r) => stored.has(r.clientMsgId))).toBe(false);
  for (const s of sockets) s.close();
}, 60_000);
