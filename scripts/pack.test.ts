import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createNatsBus } from "@rt/bus";
import { busStreams } from "@rt/contracts";
import { startPlatform, TEST_NATS_URL, testMode, testNamespace, type TestPlatform } from "@rt/testkit";
import { pack } from "./pack.ts";

/**
 * The packages as a user gets them: `bun run pack`'s tarballs installed with npm into a fresh
 * project outside the repo, used from plain Node 20 against a running platform (on NATS, so the
 * server SDK can publish), and type-checked with tsc from the .d.ts files only. It brings its own
 * NATS platform whatever TEST_MODE says, so it runs once per `bun run test`, in the embedded pass.
 */
const FIXTURES = join(import.meta.dir, "pack-fixtures");
const TSC = join(import.meta.dir, "../node_modules/.bin/tsc");
const namespace = testNamespace();
let p: TestPlatform;
let project: string;
let tarballs: string[];

async function run(cmd: string[], cwd: string, env: Record<string, string> = {}) {
  const proc = Bun.spawn(cmd, { cwd, env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { stdout, stderr, code };
}

describe.if(testMode() === "embedded")("installed tarballs", () => {
  beforeAll(async () => {
    [tarballs, p] = await Promise.all([pack(), startPlatform({ mode: "nats", namespace })]);
    project = mkdtempSync(join(tmpdir(), "rt-consumer-"));
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "rt-consumer", private: true, type: "module" }));
    for (const f of readdirSync(FIXTURES)) cpSync(join(FIXTURES, f), join(project, f));
    // Dependencies (socket.io-client, zod, nats, react types) come from the registry or npm's cache.
    const npm = await run(["npm", "install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", ...tarballs, "react@19", "@types/react@19"], project);
    if (npm.code !== 0) throw new Error(`npm install failed:\n${npm.stderr}`);
  }, 180_000);

  afterAll(async () => {
    await p?.stop();
    // The platform ran in a namespace of its own: drop its streams and buckets.
    const bus = await createNatsBus({ url: TEST_NATS_URL, name: "pack-test-cleanup", streams: busStreams, namespace, dropNamespaceOnDrain: true });
    await bus.drain();
    if (project) rmSync(project, { recursive: true, force: true });
  });

  test("bun run pack writes the client, server SDK, contracts and React tarballs, each with exports, types, README and LICENSE", async () => {
    expect(tarballs.map((t) => t.split("/").pop())).toEqual(["rt-contracts-0.1.0.tgz", "rt-client-0.1.0.tgz", "rt-sdk-0.1.0.tgz", "rt-react-0.1.0.tgz"]);
    for (const name of ["contracts", "client", "sdk", "react"]) {
      const pkg = await Bun.file(join(project, "node_modules/@rt", name, "package.json")).json();
      expect(pkg).toMatchObject({ version: "0.1.0", license: "MIT", type: "module", exports: { ".": { types: "./dist/index.d.ts", import: "./dist/index.js" } } });
      expect(pkg.private).toBeUndefined();
      for (const f of ["README.md", "LICENSE", "dist/index.js", "dist/index.d.ts"]) expect(await Bun.file(join(project, "node_modules/@rt", name, f)).exists()).toBe(true);
    }
    const deps = (name: string) => Bun.file(join(project, "node_modules/@rt", name, "package.json")).json();
    expect((await deps("client")).dependencies).toMatchObject({ "socket.io-client": expect.any(String), "@rt/contracts": "0.1.0" });
    // The bus the SDK imports travels inside it: no workspace package is left to resolve.
    expect(Object.keys((await deps("sdk")).dependencies)).not.toContain("@rt/bus");
    expect((await deps("react")).peerDependencies).toEqual({ react: ">=18" });
  }, 30_000);

  test("plain node 20 on the installed packages: connect, join, send and receive, publish with the SDK, bad token refused at once", async () => {
    const tokenA = await p.token({ sub: "node-a", name: "Ann" });
    const tokenB = await p.token({ sub: "node-b", name: "Bob" });
    const res = await p.fetch("/api/chat/rooms", { method: "POST", token: tokenA, json: { name: "node", memberIds: ["node-b"] } });
    expect(res.status).toBe(201);
    const room = (await res.json()) as { id: number };

    const out = await run(["node", "consumer.mjs"], project, {
      URL: p.url,
      TOKEN_A: tokenA,
      TOKEN_B: tokenB,
      USER_B: "node-b",
      ROOM_ID: String(room.id),
      NATS_URL: TEST_NATS_URL,
      NATS_NAMESPACE: namespace,
      TENANT: p.tenant,
    });
    expect(out.stderr).not.toContain("Error");
    expect(out.code).toBe(0);
    expect((await run(["node", "--version"], project)).stdout).toStartWith("v20.");
    const result = JSON.parse(out.stdout.trim().split("\n").pop()!);
    expect(result).toMatchObject({
      sent: "hello from node",
      received: "hello from node",
      from: "node-a",
      reminder: { bookingId: 7 },
      refused: { isRealtimeError: true, code: "UNAUTHENTICATED" },
    });
    expect(result.refused.ms).toBeLessThan(2000);
  }, 60_000);

  test("a TypeScript consumer type-checks with tsc against the installed .d.ts files (and misuse does not)", async () => {
    const ok = await run([TSC, "-p", "tsconfig.json"], project);
    expect(ok.stdout + ok.stderr).toBe("");
    expect(ok.code).toBe(0);
  }, 120_000);
});
