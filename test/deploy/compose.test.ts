/**
 * docker-compose.yml itself, run with Debian's docker-compose and deploy/compose.ci.yml (host
 * network, free ports, the test's NATS namespace, the local base, placeholders for the nats and
 * postgres images, no lb image): it refuses to start without the operator's secrets; with them
 * every app service of the file builds and becomes healthy; Debian's nginx with deploy/nginx.conf
 * (upstream addresses and listen port rewritten) carries a client that chats with one on gateway-2.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { dropNamespace, freePort, TEST_LOG_MAX_BYTES } from "@rt/testkit";
import { ack, closeSql, failoverSocket, http, portOpen, sql, until, within, figures, type Socket } from "../cluster/helpers.ts";
import { docker, DOCKER_ENV, extraCaCerts, HOST_NATS_URL, randomSecret, ROOT, sh, stackNamespace, stackSecrets, tokenFor, waitHealthy } from "./docker.ts";

const PROJECT = "rtci";
const COMPOSE = ["docker-compose", "-p", PROJECT, "-f", "docker-compose.yml", "-f", "deploy/compose.ci.yml"];
const ns = stackNamespace();
const secrets = stackSecrets();
const operator = { ...secrets, POSTGRES_PASSWORD: randomSecret() };
const ports = {
  CI_PORT_GATEWAY_1: freePort(),
  CI_PORT_GATEWAY_2: freePort(),
  CI_OPS_GATEWAY_1: freePort(),
  CI_OPS_GATEWAY_2: freePort(),
  ...Object.fromEntries(["PRESENCE", "CHAT", "CALLS", "JOBS", "NOTIFICATIONS", "PAYMENTS", "SYNC"].map((s) => [`CI_OPS_${s}`, freePort()])),
};
const env: Record<string, string> = {
  ...operator,
  ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
  NATS_NAMESPACE: ns,
  DELIVERY_LOG_MAX_BYTES: String(TEST_LOG_MAX_BYTES),
  EXTRA_CA_CERTS: extraCaCerts(),
};
const lbPort = freePort();
const lbUrl = `http://127.0.0.1:${lbPort}`;
const gw2Url = `http://127.0.0.1:${ports.CI_PORT_GATEWAY_2}`;
const nginxDir = mkdtempSync(join(tmpdir(), "rtci-nginx-"));
let nginx: Subprocess | undefined;
const open: Socket[] = [];

/** Compose with only `shell` as its variables (plus PATH/HOME for the tool itself). */
const compose = (args: string[], shell: Record<string, string>, ms = 60_000) =>
  sh([...COMPOSE, ...args], { ms, env: { ...Object.fromEntries(Object.keys(operator).map((k) => [k, ""])), ...DOCKER_ENV, ...shell } });

beforeAll(async () => {
  // The database compose's own postgres service would create (POSTGRES_DB), on the machine's Postgres.
  const [row] = await sql()<{ n: number }[]>`select count(*)::int as n from pg_database where datname = 'realtime'`;
  if (row?.n === 0)
    await sql()
      .unsafe("create database realtime")
      .catch((e) => {
        if (!String(e).includes("already exists")) throw e;
      });

  const t0 = Date.now();
  const up = await compose(["up", "-d", "--build"], env, 900_000);
  if (up.code !== 0) throw new Error(`docker-compose up failed:\n${up.out.slice(-4000)}`);
  const upMs = Date.now() - t0;
  const ids = (await compose(["ps", "-q"], env)).out.split(/\s+/).filter(Boolean);
  const healthyMs = await waitHealthy(ids);

  // Debian's nginx with the shipped config: only the upstream addresses and the listen port differ.
  const conf = readFileSync(join(ROOT, "deploy/nginx.conf"), "utf8")
    .replace(/server gateway-1:3000/, `server 127.0.0.1:${ports.CI_PORT_GATEWAY_1}`)
    .replace(/server gateway-2:3000/, `server 127.0.0.1:${ports.CI_PORT_GATEWAY_2}`)
    .replace(/listen 80;/, `listen 127.0.0.1:${lbPort};`);
  expect(conf).toContain(`127.0.0.1:${ports.CI_PORT_GATEWAY_2}`);
  writeFileSync(join(nginxDir, "nginx.conf"), conf);
  nginx = Bun.spawn(["nginx", "-e", "stderr", "-p", nginxDir, "-c", join(nginxDir, "nginx.conf"), "-g", `daemon off; pid ${nginxDir}/nginx.pid;`], {
    stdout: "inherit",
    stderr: "inherit",
  });
  await until(() => portOpen(lbPort), 10_000, "nginx listening");
  figures("compose up", { containers: ids.length, upMs, healthyWithinMs: healthyMs, namespace: ns });
}, 1_200_000);

afterAll(async () => {
  for (const s of open) s.close();
  nginx?.kill("SIGTERM");
  await nginx?.exited;
  rmSync(nginxDir, { recursive: true, force: true });
  const down = await compose(["down", "-v", "-t", "10", "--remove-orphans"], env, 180_000);
  if (down.code !== 0) console.error(down.out.slice(-2000));
  await closeSql();
  await dropNamespace(HOST_NATS_URL, ns).catch(() => {});
}, 240_000);

describe("docker-compose.yml", () => {
  test("refuses to start without each of the operator's secrets, naming it", async () => {
    for (const missing of Object.keys(operator)) {
      const r = await compose(["config", "-q"], { ...env, [missing]: "" });
      expect({ missing, code: r.code === 0 ? 0 : 1, says: r.out.includes(`set ${missing}`) }).toEqual({ missing, code: 1, says: true });
    }
  });

  test("every app service of the file builds and runs healthy with the operator's secrets", async () => {
    const ids = (await compose(["ps", "-q"], env)).out.split(/\s+/).filter(Boolean);
    const running = (await docker(["inspect", "-f", '{{index .Config.Labels "com.docker.compose.service"}} {{.State.Health.Status}}', ...ids])).split("\n").sort();
    expect(running.every((l) => l.endsWith(" healthy"))).toBe(true);
    expect(running.map((l) => l.split(" ")[0])).toEqual(["calls", "chat", "gateway-1", "gateway-2", "jobs", "nats", "notifications", "payments", "postgres", "presence", "sync"]);
    const gw = (await compose(["ps", "-q", "gateway-1"], env)).out.trim();
    const cenv = (await docker(["inspect", "-f", "{{range .Config.Env}}{{println .}}{{end}}", gw])).split("\n");
    expect(cenv).toContain(`JWT_SECRET=${secrets.JWT_SECRET}`);
    expect(cenv).toContain("NODE_ENV=production");
    expect(cenv).toContain("GATEWAY_ID=gateway-1");
    expect(await docker(["inspect", "-f", "{{.State.Health.Status}} {{.Config.User}}", gw])).toBe("healthy app");
  });

  test("through nginx (deploy/nginx.conf): /ready, and a client there chats with one on gateway-2", async () => {
    expect((await http(`${lbUrl}/ready`)).status).toBe(200);
    const tenant = `cmp-${crypto.randomUUID().slice(0, 8)}`;
    const room = await http(`${lbUrl}/api/chat/rooms`, { method: "POST", token: await tokenFor(secrets, tenant, "ann"), json: { name: "general", memberIds: ["bob"] } });
    expect(room.status).toBe(201);
    const roomId = room.body.id as number;
    const ann = await failoverSocket([lbUrl], await tokenFor(secrets, tenant, "ann"));
    const bob = await failoverSocket([gw2Url], await tokenFor(secrets, tenant, "bob"));
    open.push(ann, bob);
    for (const s of [ann, bob]) expect(await ack(s, "join_room", { roomId })).toMatchObject({ ok: true });
    const atBob = within(new Promise<any>((r) => bob.once("message:new", r)), 10_000, "message at bob");
    expect(await ack(ann, "message:send", { roomId, content: "through nginx" })).toMatchObject({ ok: true });
    expect(await atBob).toMatchObject({ content: "through nginx" });
    const atAnn = within(new Promise<any>((r) => ann.on("message:new", (m: any) => m.content === "from gateway-2" && r(m))), 10_000, "reply at ann");
    expect(await ack(bob, "message:send", { roomId, content: "from gateway-2" })).toMatchObject({ ok: true });
    expect(await atAnn).toMatchObject({ content: "from gateway-2" });
  });
});
