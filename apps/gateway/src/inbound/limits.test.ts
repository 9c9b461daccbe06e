import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { realtime } from "@rt/sdk";
import { startPlatform, emitAck, TEST_API_KEY, type TestPlatform } from "@rt/testkit";
import { SESSIONS_BUCKET } from "../outbound/recovery.ts";

/**
 * Issue 12 items 6, 7, 8, 10, 12: REST rate limits shared with the socket buckets, REST body depth,
 * rooms per socket, file URL schemes, the polling send cap. Default rate limits (message 10/min).
 */
let p: TestPlatform;
beforeAll(async () => {
  // In process (also in cluster mode): the tests look at the gateway's sockets and its bus.
  p = await startPlatform({ inProcess: true, env: { TEST_EVENTS: "true" } });
});
afterAll(() => p.stop());

/** A chat room of `members` (the first creates it) and a socket of the first in it. */
async function roomWith(members: string[]) {
  const token = await p.token({ sub: members[0]! });
  const res = await p.fetch("/api/chat/rooms", { method: "POST", token, json: { name: "r", memberIds: members.slice(1) } });
  expect(res.status).toBe(201);
  const roomId = ((await res.json()) as { id: number }).id;
  const s = await p.connect({ sub: members[0]! });
  expect(await emitAck(s, "join_room", { roomId })).toMatchObject({ ok: true });
  return { token, roomId, s };
}

describe("REST rate limits share the socket buckets", () => {
  test("after 10 socket message:send were refused, the same user's POST /api/chat/rooms/:id/messages is 429 with Retry-After", async () => {
    const { token, roomId, s } = await roomWith(["rest-flooder"]);
    const acks = [];
    for (let i = 0; i < 20; i++) acks.push(await emitAck(s, "message:send", { roomId, content: `m${i}` }));
    expect(acks.filter((a) => a.ok).length).toBe(10);
    const refused = acks.filter((a) => !a.ok) as Array<{ ok: false; error: { code: string; retryAfterMs?: number } }>;
    expect(refused.length).toBe(10);
    for (const a of refused) {
      expect(a.error.code).toBe("RATE_LIMITED");
      expect(a.error.retryAfterMs).toBeGreaterThan(0);
    }
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await p.fetch(`/api/chat/rooms/${roomId}/messages`, { method: "POST", token, json: { content: `rest${i}` } });
      statuses.push(res.status);
      if (res.status === 429) {
        expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
        const body = (await res.json()) as { error: { code: string; message: string; retryAfterMs: number } };
        expect(body.error.code).toBe("RATE_LIMITED");
        expect(body.error.retryAfterMs).toBeGreaterThan(0);
      } else await res.body?.cancel();
    }
    expect(statuses).toEqual([429, 429, 429, 429, 429]);
  });

  test("REST messages draw from the socket's message bucket: after 10 REST posts the socket's message:send is refused", async () => {
    const { token, roomId, s } = await roomWith(["rest-first"]);
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const res = await p.fetch(`/api/chat/rooms/${roomId}/messages`, { method: "POST", token, json: { content: `rest${i}` } });
      statuses.push(res.status);
      await res.body?.cancel();
    }
    expect(statuses).toEqual([...Array(10).fill(201), 429]);
    expect(await emitAck(s, "message:send", { roomId, content: "after" })).toMatchObject({ ok: false, error: { code: "RATE_LIMITED" } });
    // Another class (default) is its own bucket: creating a room still works.
    const other = await p.fetch("/api/chat/rooms", { method: "POST", token, json: { name: "other" } });
    expect(other.status).toBe(201);
  });
});

describe("REST body depth", () => {
  const deep = (levels: number) => `{"contact_id":1,"nom_complet":"Deep","email":"d@example.com","extra":${"[".repeat(levels)}${"]".repeat(levels)}}`;

  test("a 100 KB body nested 50,000 deep on the artisan-request route answers 400 quickly; a concurrent socket ping is answered in < 100 ms", async () => {
    const token = await p.token({ sub: "deep-poster" });
    const pinger = await p.connect({ sub: "pinger" });
    expect(await emitAck(pinger, "ping")).toMatchObject({ ok: true });
    const body = deep(50_000);
    expect(body.length).toBeGreaterThan(100_000);
    const pings: number[] = [];
    let posting = true;
    const pingLoop = (async () => {
      while (posting) {
        const t = performance.now();
        await emitAck(pinger, "ping");
        pings.push(performance.now() - t);
        await Bun.sleep(5);
      }
    })();
    await Bun.sleep(20);
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: 3 }, () =>
        p
          .fetch("/api/approvals/artisan-requests", { method: "POST", token, headers: { "content-type": "application/json" }, body })
          .then(async (r) => ({ status: r.status, body: (await r.json()) as any })),
      ),
    );
    const elapsed = performance.now() - started;
    await Bun.sleep(30);
    posting = false;
    await pingLoop;
    for (const r of results) expect(r).toMatchObject({ status: 400, body: { error: { code: "VALIDATION" } } });
    expect(elapsed).toBeLessThan(1000);
    expect(Math.max(...pings)).toBeLessThan(100);
  });

  test("1,000 levels are refused too (the socket path's limit is 64); 60 levels pass the depth check", async () => {
    const token = await p.token({ sub: "deep-poster-2" });
    const refused = await p.fetch("/api/approvals/artisan-requests", { method: "POST", token, headers: { "content-type": "application/json" }, body: deep(1000) });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as any).error).toMatchObject({ code: "VALIDATION", message: expect.stringContaining("depth") });
    const ok = await p.fetch("/api/approvals/artisan-requests", { method: "POST", token, headers: { "content-type": "application/json" }, body: deep(60) });
    expect(ok.status).toBe(201);
    // Without a JSON content type the body is still JSON to the services: checked too.
    const plain = await p.fetch("/api/approvals/artisan-requests", { method: "POST", token, headers: { "content-type": "text/plain" }, body: deep(1000) });
    expect(plain.status).toBe(400);
  });

  test("the publish API is depth-checked; a body over the size cap keeps answering 413", async () => {
    const deepPublish = `{"tenantId":"${p.tenant}","target":{"kind":"tenant"},"event":"x","data":${"[".repeat(500)}${"]".repeat(500)}}`;
    const res = await p.fetch("/api/publish", { method: "POST", headers: { "x-api-key": TEST_API_KEY, "content-type": "application/json" }, body: deepPublish });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.code).toBe("VALIDATION");
    const token = await p.token({ sub: "big-poster" });
    const big = await p.fetch("/api/approvals/artisan-requests", { method: "POST", token, headers: { "content-type": "application/json" }, body: deep(600_000) });
    expect(big.status).toBe(413);
  });
});

describe("rooms per socket", () => {
  test("120 join-data-sync x 100 types are refused past the cap (200 types) with VALIDATION; rooms, snapshot and memory stay bounded", async () => {
    const s = await p.connect({ sub: "room-hoarder" });
    Bun.gc(true);
    const rssBefore = process.memoryUsage().rss;
    const acks = [];
    for (let j = 0; j < 120; j++) {
      const entityTypes = Array.from({ length: 100 }, (_, i) => `Type_${j}_${i}_${"x".repeat(40)}`);
      acks.push(await emitAck(s, "join-data-sync", { entityTypes }));
    }
    expect(acks.filter((a) => a.ok).length).toBe(2);
    const refused = acks.filter((a) => !a.ok) as Array<{ ok: false; error: { code: string; message: string } }>;
    expect(refused.length).toBe(118);
    expect(refused[0]!.error).toMatchObject({ code: "VALIDATION", message: expect.stringContaining("200") });
    const server = p.platform.gateway.io.of("/").sockets.get(s.id!)!;
    expect(server.rooms.size).toBeLessThanOrEqual(210);
    await Bun.sleep(200);
    const kv = await p.platform.bus.kv(SESSIONS_BUCKET, { ttlMs: 24 * 3600_000 });
    const stored = await kv.get((s as unknown as { _pid: string })._pid);
    expect(stored).toBeTruthy();
    expect(JSON.stringify(stored).length).toBeLessThan(64 * 1024);
    Bun.gc(true);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(16 * 1024 * 1024);
  });

  test("at the cap, types already joined are accepted again and leaving makes room", async () => {
    const s = await p.connect({ sub: "room-keeper" });
    const types = (j: number) => Array.from({ length: 100 }, (_, i) => `K${j}_${i}`);
    expect(await emitAck(s, "join-data-sync", { entityTypes: types(0) })).toMatchObject({ ok: true });
    expect(await emitAck(s, "join-data-sync", { entityTypes: types(1) })).toMatchObject({ ok: true });
    expect(await emitAck(s, "join-data-sync", { entityTypes: ["Extra"] })).toMatchObject({ ok: false, error: { code: "VALIDATION" } });
    expect(await emitAck(s, "join-data-sync", { entityTypes: ["K0_0", "K1_99"] })).toMatchObject({ ok: true });
    expect(await emitAck(s, "leave-data-sync", { entityTypes: ["K0_0"] })).toMatchObject({ ok: true });
    expect(await emitAck(s, "join-data-sync", { entityTypes: ["Extra"] })).toMatchObject({ ok: true });
  });
});

describe("file URLs", () => {
  test("fileUrl javascript:, data: and other schemes are VALIDATION over socket and REST; https is stored", async () => {
    const { token, roomId, s } = await roomWith(["file-sender"]);
    for (const fileUrl of ["javascript:alert(document.cookie)", "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)", "file:///etc/passwd"]) {
      expect(await emitAck(s, "message:send", { roomId, content: "f", type: "FILE", fileUrl })).toMatchObject({ ok: false, error: { code: "VALIDATION" } });
      const res = await p.fetch(`/api/chat/rooms/${roomId}/messages`, { method: "POST", token, json: { content: "f", type: "FILE", fileUrl } });
      expect(res.status).toBe(400);
      expect(((await res.json()) as any).error.code).toBe("VALIDATION");
    }
    expect(await emitAck(s, "message:send", { roomId, content: "f", type: "FILE", fileUrl: "https://files.example.com/a.pdf" })).toMatchObject({
      ok: true,
      data: { fileUrl: "https://files.example.com/a.pdf" },
    });
  });
});

describe("polling send cap", () => {
  /** A raw Engine.IO polling client: nothing polls unless the test calls poll(). */
  async function rawPoller() {
    const base = `${p.url}/socket.io/?EIO=4&transport=polling`;
    const open = await (await fetch(base)).text();
    const sid = (JSON.parse(open.slice(1)) as { sid: string }).sid;
    const url = `${base}&sid=${sid}`;
    const post = async (packet: string) => expect(await (await fetch(url, { method: "POST", body: packet })).text()).toBe("ok");
    const poll = async () => {
      const r = await fetch(url);
      return { status: r.status, text: await r.text() };
    };
    return { sid, post, poll };
  }

  test("a polling client that stops polling under a broadcast stream is disconnected past 2 MiB (recoverably); the next GET is not megabytes", async () => {
    const token = await p.token({ sub: "stalled-poller" });
    const c = await rawPoller();
    await c.post(`40${JSON.stringify({ token })}`);
    const until = async (needle: string) => {
      let got = "";
      for (let i = 0; i < 10 && !got.includes(needle); i++) got += (await c.poll()).text;
      return got;
    };
    const connected = await until("40{");
    const pid = (
      JSON.parse(
        connected
          .split("\x1e")
          .find((packet) => packet.startsWith("40{"))!
          .slice(2),
      ) as { pid: string }
    ).pid;
    expect(pid).toBeTruthy();
    await c.post(`421["join-data-sync",{"entityTypes":["Stream"]}]`);
    expect(await until("431[")).toContain('431[{"ok":true');
    const server = [...p.platform.gateway.io.of("/").sockets.values()].find((x) => x.data.principal?.userId === "stalled-poller")!;
    expect(server).toBeTruthy();
    const reason = new Promise<string>((r) => server.once("disconnect", r));

    // The poller stops; 6 MB of broadcasts go to its room.
    const rt = realtime(p.platform.bus, p.tenant);
    const pad = "y".repeat(60 * 1024);
    for (let n = 0; n < 100; n++) await rt.broadcastDataChange("Stream", "UPDATE", { n, pad });
    const why = await Promise.race([reason, Bun.sleep(5000).then(() => "still connected")]);
    expect(why).toBe("forced close");
    const next = await c.poll();
    expect(next.text.length).toBeLessThan(3 * 1024 * 1024);
    expect(next.status).toBe(400);
    // Recoverable: the session was kept for the client's reconnect.
    await Bun.sleep(100);
    const kv = await p.platform.bus.kv(SESSIONS_BUCKET, { ttlMs: 24 * 3600_000 });
    expect(await kv.get(pid)).toMatchObject({ pid, disconnectedAt: expect.any(Number) });
  });
});
