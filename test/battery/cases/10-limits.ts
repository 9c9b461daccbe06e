/**
 * Case 10, limits (issue 12 items 6, 7, 8, 10, 11, 12) against the platform as its own process with
 * the default limits: sockets per user, REST writes sharing the socket's message bucket (429 +
 * Retry-After), a 50,000-deep REST body while a socket pings, 120 join-data-sync x 100 types (the
 * process's memory), a `javascript:` file URL, a polling client that stops polling under a broadcast
 * stream, and last (every client here is 127.0.0.1) a flood of 200 handshakes from one address.
 * The integration tests beside the code (apps/gateway/src/inbound/limits.test.ts, handshake.test.ts) prove
 * each point in detail; this case measures them on a separate process.
 */
import { io as ioClient, type Socket } from "socket.io-client";
import { figure, mb, note, round, runCase, sleep } from "../lib/common.ts";
import { API_KEY, spawnPlatform } from "../lib/platform.ts";

type Ack = { ok: boolean; data?: any; error?: { code: string; message: string; retryAfterMs?: number } };
type Outcome = { ok: boolean; message?: string; code?: string };

await runCase("10-limits", 200, async (c) => {
  // The defaults (the battery's base env lifts the handshake limit for the other cases).
  const p = await spawnPlatform({ NODE_ENV: "production", RATE_LIMIT_HANDSHAKE: "120" });
  const sockets: Socket[] = [];
  const tenant = "limits-t";
  const connect = (token: string) =>
    new Promise<Outcome & { s: Socket }>((resolve) => {
      const s = ioClient(p.url, { transports: ["websocket"], auth: { token }, forceNew: true, reconnection: false });
      sockets.push(s);
      s.once("connect", () => resolve({ ok: true, s }));
      s.once("connect_error", (e: any) => resolve({ ok: false, message: e.message, code: e.data?.code, s }));
    });
  const ack = (s: Socket, event: string, data?: unknown) => s.timeout(10_000).emitWithAck(event, data) as Promise<Ack>;
  try {
    // Sockets per user: 10, then refused.
    const tabs = await p.token({ sub: "tabs", tenantId: tenant });
    const first = [];
    for (let i = 0; i < 11; i++) first.push(await connect(tabs));
    const eleventh = first[10]!;
    c.check(
      first.slice(0, 10).every((o) => o.ok),
      "10 sockets of one user connect",
    );
    c.check(!eleventh.ok && eleventh.code === "RATE_LIMITED", `the 11th socket of one user is refused with RATE_LIMITED (${eleventh.message})`);
    for (const o of first) o.s.close();

    // REST shares the socket's message bucket.
    const userToken = await p.token({ sub: "chatty", tenantId: tenant });
    const room = (await (
      await fetch(`${p.url}/api/chat/rooms`, {
        method: "POST",
        headers: { authorization: `Bearer ${userToken}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "r" }),
      })
    ).json()) as { id: number };
    const { s } = await connect(userToken);
    c.check((await ack(s, "join_room", { roomId: room.id })).ok, "joined the room");
    const acks: Ack[] = [];
    for (let i = 0; i < 20; i++) acks.push(await ack(s, "message:send", { roomId: room.id, content: `m${i}` }));
    const limited = acks.filter((a) => a.error?.code === "RATE_LIMITED").length;
    const rest = await fetch(`${p.url}/api/chat/rooms/${room.id}/messages`, {
      method: "POST",
      headers: { authorization: `Bearer ${userToken}`, "content-type": "application/json" },
      body: JSON.stringify({ content: "rest" }),
    });
    const restBody = (await rest.json()) as { error?: { code: string; retryAfterMs?: number } };
    figure(
      `limits rest: socket message:send ${acks.length - limited} ok / ${limited} RATE_LIMITED, then REST POST ${rest.status} retry-after=${rest.headers.get("retry-after")} retryAfterMs=${restBody.error?.retryAfterMs}`,
    );
    c.check(limited === 10, `10 of 20 socket messages refused (${limited})`);
    c.check(
      rest.status === 429 && restBody.error?.code === "RATE_LIMITED" && Number(rest.headers.get("retry-after")) >= 1,
      `the same user's REST message is 429 with Retry-After (${rest.status})`,
    );

    // A `javascript:` file URL is refused.
    const fileToken = await p.token({ sub: "filer", tenantId: tenant });
    const fileRoom = (await (
      await fetch(`${p.url}/api/chat/rooms`, {
        method: "POST",
        headers: { authorization: `Bearer ${fileToken}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "f" }),
      })
    ).json()) as { id: number };
    const fileRes = await fetch(`${p.url}/api/chat/rooms/${fileRoom.id}/messages`, {
      method: "POST",
      headers: { authorization: `Bearer ${fileToken}`, "content-type": "application/json" },
      body: JSON.stringify({ content: "f", type: "FILE", fileUrl: "javascript:alert(document.cookie)" }),
    });
    c.check(fileRes.status === 400, `fileUrl javascript: is 400 VALIDATION (${fileRes.status})`);

    // A 100 KB body nested 50,000 deep while a socket pings.
    const pings: number[] = [];
    let pinging = true;
    const pinger = (async () => {
      while (pinging) {
        const t = performance.now();
        await ack(s, "ping");
        pings.push(performance.now() - t);
        await sleep(5);
      }
    })();
    await sleep(50);
    const d = 50_000;
    const t0 = performance.now();
    const deep = await fetch(`${p.url}/api/approvals/artisan-requests`, {
      method: "POST",
      headers: { authorization: `Bearer ${userToken}`, "content-type": "application/json" },
      body: `{"contact_id":1,"nom_complet":"D","email":"d@example.com","x":${"[".repeat(d)}${"]".repeat(d)}}`,
    });
    const deepMs = performance.now() - t0;
    await sleep(50);
    pinging = false;
    await pinger;
    const maxPing = Math.max(...pings);
    figure(`limits depth: 50,000-deep REST body ${deep.status} in ${round(deepMs, 0)} ms; concurrent pings max ${round(maxPing, 0)} ms over ${pings.length}`);
    c.check(deep.status === 400, `the deep body is 400 (${deep.status})`);
    c.check(maxPing < 100, `a concurrent ping answered in < 100 ms (${round(maxPing, 0)} ms)`);

    // Rooms per socket.
    const hoarder = (await connect(await p.token({ sub: "hoarder", tenantId: tenant }))).s;
    const rss0 = p.rssKb();
    let joined = 0;
    let refusedJoins = 0;
    for (let j = 0; j < 120; j++) {
      const a = await ack(hoarder, "join-data-sync", { entityTypes: Array.from({ length: 100 }, (_, i) => `T${j}_${i}_${"x".repeat(40)}`) });
      if (a.ok) joined++;
      else if (a.error?.code === "VALIDATION") refusedJoins++;
    }
    await sleep(500);
    const rooms = p.rssKb() - rss0;
    figure(`limits rooms: 120 join-data-sync x 100 types: ${joined} accepted, ${refusedJoins} VALIDATION; rss +${mb(rooms)} MB`);
    c.check(joined === 2 && refusedJoins === 118, "past 200 types every join is refused with VALIDATION");
    c.check(rooms < 16 * 1024, `the platform's memory did not balloon (+${mb(rooms)} MB)`);

    // A polling client that stops polling under a broadcast stream.
    const pollToken = await p.token({ sub: "poller", tenantId: tenant });
    const base = `${p.url}/socket.io/?EIO=4&transport=polling`;
    const sid = (JSON.parse((await (await fetch(base)).text()).slice(1)) as { sid: string }).sid;
    const url = `${base}&sid=${sid}`;
    await fetch(url, { method: "POST", body: `40${JSON.stringify({ token: pollToken })}` });
    let got = "";
    for (let i = 0; i < 10 && !got.includes("40{"); i++) got += await (await fetch(url)).text();
    await fetch(url, { method: "POST", body: `421["join-data-sync",{"entityTypes":["Stream"]}]` });
    for (let i = 0; i < 10 && !got.includes("431["); i++) got += await (await fetch(url)).text();
    c.check(got.includes('431[{"ok":true'), "the poller joined its sync type");
    const pad = "y".repeat(60 * 1024);
    for (let n = 0; n < 150; n++) {
      await fetch(`${p.url}/api/publish`, {
        method: "POST",
        headers: { "x-api-key": API_KEY, "content-type": "application/json" },
        body: JSON.stringify({
          tenantId: tenant,
          target: { kind: "sync", id: "Stream" },
          event: "data-change",
          data: { entityType: "Stream", action: "UPDATE", data: { n, pad }, userId: null },
        }),
      });
    }
    await sleep(500);
    const next = await fetch(url);
    const nextText = await next.text();
    figure(`limits polling: after 9 MB broadcast to a stalled poller its next GET is ${next.status}, ${round(nextText.length / 1024, 0)} KB`);
    c.check(nextText.length < 3 * 1024 * 1024, `the stalled poller's next GET is not megabytes (${nextText.length} bytes)`);

    // Last: 200 handshakes from this one address (the bucket holds 120, minus what this case used).
    for (const x of sockets.splice(0)) x.close();
    const tokens = await Promise.all(Array.from({ length: 200 }, (_, i) => p.token({ sub: `flood-${i}`, tenantId: tenant })));
    const t1 = performance.now();
    const outcomes = await Promise.all(tokens.map((t) => connect(t)));
    const seconds = (performance.now() - t1) / 1000;
    const accepted = outcomes.filter((o) => o.ok).length;
    const refused = outcomes.filter((o) => !o.ok);
    figure(`limits handshakes: 200 from one address in ${round(seconds, 2)} s: ${accepted} accepted, ${refused.length} refused (${refused[0]?.message})`);
    c.check(accepted <= 120 && refused.length >= 80, `the excess handshakes are refused (${refused.length})`);
    c.check(
      refused.every((o) => o.code === "RATE_LIMITED"),
      "every refusal says RATE_LIMITED",
    );
    c.check(p.alive(), "platform alive");
    c.check(p.errorLines().length === 0, `no error lines (${p.errorLines()[0]?.raw ?? ""})`);
  } finally {
    for (const s of sockets) s.close();
    await p.stop();
    note("platform stopped");
  }
});
