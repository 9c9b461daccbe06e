/**
 * The split stack as Docker containers, built from the one Dockerfile on the local base, on the
 * machine's NATS and Postgres (host network, a fresh NATS namespace, random secrets, read-only
 * root filesystem with a /tmp tmpfs as in deploy/k8s): 2 gateways, 2 chat replicas, one of every
 * other service. Through the containers: chat across gateways, `docker stop` of a gateway (SIGTERM
 * reaches bun: exit code and time, drain log lines; its clients recover on the other gateway with
 * nothing missed), `docker kill` of a chat replica under acked sends (nothing acked lost).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { dropNamespace, freePort, TEST_LOG_MAX_BYTES } from "@rt/testkit";
import { ack, closeSql, failoverSocket, figures, gatewayOf, http, record, storedIn, tally, traffic, until, within, type Socket } from "../cluster/helpers.ts";
import {
  APPS,
  type App,
  buildImages,
  docker,
  DOCKER,
  HOST_DATABASE_URL,
  HOST_NATS_URL,
  MAX_IMAGE_BYTES,
  sh,
  stackNamespace,
  stackSecrets,
  tokenFor,
  waitHealthy,
} from "./docker.ts";

const TAG = "ci";
const ns = stackNamespace();
const secrets = stackSecrets();
/** Limits out of the way: these tests send faster than a person. */
const LIMITS = { RATE_LIMIT_MESSAGE: "100000", RATE_LIMIT_TYPING: "100000", RATE_LIMIT_DEFAULT: "100000" };

interface Box {
  name: string;
  app: App;
  port: number;
  opsPort: number;
}
const boxes: Box[] = [
  ...["gw-1", "gw-2"].map((id) => ({ name: `rt-${ns}-${id}`, app: "gateway" as App, port: freePort(), opsPort: freePort() })),
  ...["chat-1", "chat-2"].map((id) => ({ name: `rt-${ns}-${id}`, app: "chat" as App, port: freePort(), opsPort: freePort() })),
  ...APPS.filter((a) => a !== "gateway" && a !== "chat").map((a) => ({ name: `rt-${ns}-${a}-1`, app: a, port: freePort(), opsPort: freePort() })),
];
const gateways = boxes.filter((b) => b.app === "gateway");
const gwUrl = (b: Box) => `http://127.0.0.1:${b.port}`;
const open: Socket[] = [];
let sizes: Record<App, number>;

/** Start one container as an orchestrator would: the image's CMD and HEALTHCHECK, no init. */
async function run(b: Box) {
  const env: Record<string, string> = {
    NATS_URL: HOST_NATS_URL,
    DATABASE_URL: HOST_DATABASE_URL,
    NATS_NAMESPACE: ns,
    DELIVERY_LOG_MAX_BYTES: String(TEST_LOG_MAX_BYTES),
    LOG_LEVEL: "info",
    PORT: String(b.port),
    OPS_PORT: String(b.opsPort),
    ...LIMITS,
    ...(b.app === "gateway" ? { GATEWAY_ID: b.name } : {}),
  };
  const envArgs = Object.entries(env).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
  // Secrets by name only: docker takes their values from its own env, not from the command line.
  const secretArgs = Object.keys(secrets).flatMap((k) => ["-e", k]);
  await docker(
    [
      "run",
      "-d",
      "--name",
      b.name,
      "--label",
      `realtime.ci=${ns}`,
      "--network",
      "host",
      "--read-only",
      "--tmpfs",
      "/tmp:rw,size=64m",
      ...envArgs,
      ...secretArgs,
      `realtime/${b.app}:${TAG}`,
    ],
    { env: secrets },
  );
}

async function createRoom(gatewayUrl: string, tenant: string, members: string[]): Promise<number> {
  const r = await http(`${gatewayUrl}/api/chat/rooms`, {
    method: "POST",
    token: await tokenFor(secrets, tenant, members[0]!),
    json: { name: `room-${tenant}`, memberIds: members.slice(1) },
  });
  if (r.status !== 201) throw new Error(`room not created: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.id as number;
}

const newTenant = () => `dep-${crypto.randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  const t0 = Date.now();
  sizes = await buildImages(TAG);
  const built = Date.now() - t0;
  for (const b of boxes) await run(b);
  const healthyMs = await waitHealthy(boxes.map((b) => b.name));
  figures("containers up", { buildMs: built, containers: boxes.length, healthyWithinMs: healthyMs, namespace: ns });
}, 1_200_000);

afterAll(async () => {
  for (const s of open) s.close();
  const ids = (await sh([DOCKER, "ps", "-aq", "--filter", `label=realtime.ci=${ns}`])).out.split(/\s+/).filter(Boolean);
  if (ids.length) await sh([DOCKER, "rm", "-f", ...ids], { ms: 120_000 });
  await closeSql();
  await dropNamespace(HOST_NATS_URL, ns).catch(() => {});
}, 180_000);

describe("images", () => {
  test("seven images from the one Dockerfile, each ≤ 250 MB, running as the non-root user the Dockerfile creates", async () => {
    for (const app of APPS) expect({ app, underLimit: sizes[app] <= MAX_IMAGE_BYTES }).toEqual({ app, underLimit: true });
    for (const app of APPS) expect(await docker(["image", "inspect", "-f", "{{.Config.User}}", `realtime/${app}:${TAG}`])).toBe("app");
    // The running processes, not only the image's metadata.
    for (const b of [gateways[0]!, boxes.find((x) => x.app === "chat")!]) {
      expect(await docker(["exec", b.name, "id", "-u"])).toBe("10001");
      expect(await docker(["exec", b.name, "sh", "-c", "cat /proc/1/status | grep '^Uid'"])).toMatch(/^Uid:\s+10001\s/);
    }
  });

  test("a gateway container serves the AsyncAPI viewer and its files, with the viewer's package alone in node_modules (none of its dependencies)", async () => {
    const g = gwUrl(gateways[0]!);
    const page = await http(`${g}/docs/asyncapi`);
    expect(page.status).toBe(200);
    expect(String(page.body)).toContain('<script src="/docs/asyncapi/asyncapi.js">');
    const served: Record<string, number> = {};
    for (const [file, type] of [
      ["asyncapi.js", "text/javascript"],
      ["asyncapi.css", "text/css"],
    ] as const) {
      const r = await fetch(`${g}/docs/asyncapi/${file}`, { signal: AbortSignal.timeout(15_000) });
      expect({ file, status: r.status, type: r.headers.get("content-type")?.split(";")[0] }).toEqual({ file, status: 200, type });
      served[file] = (await r.bytes()).length;
    }
    expect(served["asyncapi.js"]!).toBeGreaterThan(1_000_000);
    const b = gateways[0]!.name;
    // Its dependencies (the AsyncAPI parsers, …) would sit in bun's store as @asyncapi+…; only the package's served files are there (no lib/).
    expect(await docker(["exec", b, "sh", "-c", "ls node_modules/.bun | grep '^@asyncapi+' || true"])).toBe("");
    expect(await docker(["exec", b, "sh", "-c", "ls node_modules/@asyncapi/react-component"])).toBe("LICENSE\nbrowser\npackage.json\nstyles");
    const nodeModulesMB = Number((await docker(["exec", b, "du", "-sm", "node_modules"])).split(/\s/)[0]);
    figures("images", { ...Object.fromEntries(APPS.map((a) => [`${a}MB`, (sizes[a] / 1e6).toFixed(1)])), nodeModulesMB, asyncapiJsBytes: served["asyncapi.js"]! });
  });
});

describe("the split stack in containers", () => {
  test("every container is healthy by its Docker healthcheck", async () => {
    const out = await docker(["inspect", "-f", "{{.Name}} {{.State.Health.Status}}", ...boxes.map((b) => b.name)]);
    expect(out.split("\n").map((l) => l.split(" ")[1])).toEqual(boxes.map(() => "healthy"));
    expect(boxes.filter((b) => b.app === "gateway").length).toBe(2);
    expect(boxes.filter((b) => b.app === "chat").length).toBe(2);
  });

  test("two clients on different gateways chat", async () => {
    const tenant = newTenant();
    const roomId = await createRoom(gwUrl(gateways[0]!), tenant, ["ann", "bob"]);
    const ann = await failoverSocket([gwUrl(gateways[0]!)], await tokenFor(secrets, tenant, "ann"));
    const bob = await failoverSocket([gwUrl(gateways[1]!)], await tokenFor(secrets, tenant, "bob"));
    open.push(ann, bob);
    for (const s of [ann, bob]) expect(await ack(s, "join_room", { roomId })).toMatchObject({ ok: true });
    const atBob = within(new Promise<any>((r) => bob.once("message:new", r)), 10_000, "message at bob");
    expect(await ack(ann, "message:send", { roomId, content: "hello from gateway 1" })).toMatchObject({ ok: true });
    expect(await atBob).toMatchObject({ content: "hello from gateway 1", roomId });
    // `on`, not `once`: ann's own first message may reach her after this listener is set, and a
    // one-shot listener would spend itself on it.
    const atAnn = within(new Promise<any>((r) => ann.on("message:new", (m: any) => m.content === "hi back" && r(m))), 10_000, "reply at ann");
    expect(await ack(bob, "message:send", { roomId, content: "hi back" })).toMatchObject({ ok: true });
    expect(await atAnn).toMatchObject({ content: "hi back" });
    ann.close();
    bob.close();
  });

  test("in production a gateway serves /metrics on its OPS_PORT, not on its public port", async () => {
    const g = gateways[0]!;
    const ops = await http(`http://127.0.0.1:${g.opsPort}/metrics`);
    expect(ops.status).toBe(200);
    expect(String(ops.body)).toContain("rt_gateway_connected_sockets");
    expect((await http(`${gwUrl(g)}/metrics`)).status).toBe(404);
  });

  test("docker stop of a gateway: SIGTERM reaches bun, it drains and exits 0 in time; its clients recover on the other gateway, nothing missed", async () => {
    const tenant = newTenant();
    const [g1, g2] = gateways as [Box, Box];
    const urls = [gwUrl(g1), gwUrl(g2)];
    const followers = await Promise.all(
      Array.from({ length: 4 }, async (_, i) => {
        const s = await failoverSocket(urls, await tokenFor(secrets, tenant, `f${i}`), 0);
        open.push(s);
        expect(await ack(s, "join-data-sync", { entityTypes: ["Board"] })).toMatchObject({ ok: true });
        const f = { s, got: [] as number[], droppedAt: 0, backAt: 0, recovered: undefined as boolean | undefined };
        s.on("data-change", (d: any) => f.got.push(d.data.n));
        s.on("disconnect", () => (f.droppedAt ||= Date.now()));
        s.on("connect", () => {
          if (f.droppedAt && !f.backAt) [f.backAt, f.recovered] = [Date.now(), s.recovered];
        });
        return f;
      }),
    );
    for (const f of followers) expect(gatewayOf(f.s)).toBe(urls[0]!);

    // Events published through gateway 2's publish API while gateway 1 goes away.
    const accepted: Array<{ n: number; t: number }> = [];
    let publishing = true;
    const publisher = (async () => {
      for (let n = 0; publishing; n++) {
        const t = Date.now();
        const r = await http(`${urls[1]}/api/publish`, {
          method: "POST",
          headers: { "x-api-key": secrets.PUBLISH_API_KEY },
          json: { tenantId: tenant, target: { kind: "sync", id: "Board" }, event: "data-change", data: { action: "UPDATE", data: { n }, userId: "system" } },
        });
        if (r.status === 202) accepted.push({ n, t });
        await Bun.sleep(40);
      }
    })();
    await until(() => followers.every((f) => f.got.length >= 10), 15_000, "events flowing to every client");

    const t0 = Date.now();
    await docker(["stop", "-t", "10", g1.name], { ms: 30_000 });
    const stopMs = Date.now() - t0;
    const exitCode = Number(await docker(["inspect", "-f", "{{.State.ExitCode}}", g1.name]));
    const logs = (await sh([DOCKER, "logs", g1.name])).out;
    await until(() => followers.every((f) => f.s.connected && gatewayOf(f.s) === urls[1]), 20_000, "every client on gateway 2");
    await Bun.sleep(1500);
    publishing = false;
    await within(publisher, 10_000, "publisher stop");
    await Bun.sleep(1000);

    let missed = 0;
    let duplicated = 0;
    let gap = 0;
    for (const f of followers) {
      const seen = tally(f.got);
      duplicated += seen.duplicated;
      missed += accepted.filter((a) => a.n >= f.got[0]!).filter((a) => !seen.counts.has(a.n)).length;
      gap += accepted.filter((a) => a.t >= f.droppedAt && a.t <= f.backAt).length;
    }
    const drainLine = logs.split("\n").find((l) => l.includes('"shutting down"'));
    figures("docker stop gateway", {
      stopMs,
      exitCode,
      drainLog: !!drainLine,
      stoppedLog: logs.includes('"msg":"stopped"'),
      clients: followers.length,
      movedWithinMs: Math.max(...followers.map((f) => f.backAt - t0)),
      recovered: followers.filter((f) => f.recovered).length,
      published: accepted.length,
      publishedWhileAway: gap,
      missed,
      duplicated,
    });
    // 137 would be docker's SIGKILL after its 10 s: exit 0 well before that means bun got SIGTERM and drained.
    expect(exitCode).toBe(0);
    expect(stopMs).toBeLessThan(9000);
    expect(drainLine).toContain('"sig":"SIGTERM"');
    expect(logs).toContain('"msg":"stopped"');
    expect(followers.every((f) => f.recovered === true)).toBe(true);
    expect(missed).toBe(0);
    expect(duplicated).toBe(0);

    // Back as it was for the next test.
    await docker(["start", g1.name]);
    await waitHealthy([g1.name]);
    for (const f of followers) f.s.close();
  });

  test("docker kill of a chat replica under a stream of acked sends: every acked message stored once and delivered once", async () => {
    const tenant = newTenant();
    const [g1, g2] = gateways as [Box, Box];
    const roomId = await createRoom(gwUrl(g1), tenant, ["sender", "reader"]);
    const sender = await failoverSocket([gwUrl(g1), gwUrl(g2)], await tokenFor(secrets, tenant, "sender"), 0);
    const reader = await failoverSocket([gwUrl(g1), gwUrl(g2)], await tokenFor(secrets, tenant, "reader"), 1);
    open.push(sender, reader);
    for (const s of [sender, reader]) expect(await ack(s, "join_room", { roomId })).toMatchObject({ ok: true });
    const atReader = record(reader);
    const victim = boxes.find((b) => b.app === "chat")!;

    const stream = traffic(sender, roomId, "k", { everyMs: 40, retryMs: 40_000 });
    await until(() => stream.acked.size >= 30, 30_000, "30 acked before the kill");
    const k0 = Date.now();
    await docker(["kill", victim.name]);
    const killedAfter = stream.acked.size;
    await until(() => stream.acked.size >= killedAfter + 60, 60_000, "60 more acked after the kill");
    const { sent, failed } = await stream.stop();
    await until(() => tally(atReader.of("message:new").map((m) => m.clientMsgId)).unique >= stream.acked.size, 15_000, "reader got every acked message").catch(() => {});
    await Bun.sleep(500);

    const stored = await storedIn(tenant, roomId);
    const delivered = tally(atReader.of("message:new").map((m) => m.clientMsgId));
    const acked = [...stream.acked.keys()];
    const lost = acked.filter((id) => stored.get(id) !== 1 || delivered.counts.get(id) !== 1);
    const codes = tally(stream.attempts.filter((a) => a.code !== "OK").map((a) => a.code));
    figures("docker kill chat replica", {
      sent,
      acked: acked.length,
      ackedAfterKill: acked.length - killedAfter,
      retriedErrors: [...codes.counts].map(([c, n]) => `${c}x${n}`).join(",") || "none",
      failed: failed.length,
      storedOnce: acked.filter((id) => stored.get(id) === 1).length,
      deliveredOnce: acked.filter((id) => delivered.counts.get(id) === 1).length,
      duplicated: delivered.duplicated,
      lost: lost.length,
      streamMs: Date.now() - k0,
    });
    expect(Number(await docker(["inspect", "-f", "{{.State.ExitCode}}", victim.name]))).toBe(137);
    expect(failed).toEqual([]);
    expect(lost).toEqual([]);
    expect([...stored.values()].every((n) => n === 1)).toBe(true);
    expect(delivered.duplicated).toBe(0);
  });
});
