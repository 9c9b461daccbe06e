import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { verifyToken } from "@rt/auth";
import { startPlatform, type TestPlatform } from "@rt/testkit";
import { authConfig } from "../../inbound/auth.ts";

// Real servers (and a browser): the suite's 20 s per test, also under a plain `bun test`.
setDefaultTimeout(20_000);

const REAL_SECRET = "Zq8vL2mXr4TnW9pK0sYb7HcJ3dFg6AeU-real";

/** The start-up line about the demo console, from an in-process platform's log. */
async function demoLogLine(env: Record<string, string>): Promise<Record<string, unknown> | undefined> {
  const raw: string[] = [];
  const p = await startPlatform({ inProcess: true, env: { LOG_LEVEL: "info", ...env }, logDestination: { write: (s: string) => void raw.push(s) } });
  await p.stop();
  return raw.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => typeof l.msg === "string" && l.msg.startsWith("demo console"));
}

describe("demo console with DEMO=true and the dev secret", () => {
  let p: TestPlatform;
  beforeAll(async () => {
    p = await startPlatform({ env: { DEMO: "true" } });
  }, 30_000);
  afterAll(() => p.stop());

  test("GET /demo serves the page, /demo/client.js the SDK as a browser ES module", async () => {
    const page = await p.fetch("/demo");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    const html = await page.text();
    expect(html).toContain('from "/demo/client.js"');
    const js = await p.fetch("/demo/client.js");
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toContain("javascript");
    const code = await js.text();
    expect(code).toMatch(/export\s*\{[^}]*\bconnect\b/);
    expect(code).toMatch(/export\s*\{[^}]*\bcreateSocketClient\b/);
    // Types only from the contracts: no zod in the browser bundle.
    expect(code).not.toContain("ZodError");
  });

  test("POST /demo/token mints a token the gateway accepts; a bad body is VALIDATION", async () => {
    const res = await p.fetch("/demo/token", { method: "POST", json: { sub: "demo-u", tenantId: p.tenant, roles: ["admin"], name: "Dee" } });
    expect(res.status).toBe(200);
    const { token } = (await res.json()) as { token: string };
    expect(await verifyToken(token, authConfig(p.config))).toMatchObject({ userId: "demo-u", tenantId: p.tenant, roles: ["admin"], name: "Dee" });
    const s = await p.connect({ sub: "ignored", auth: { token } });
    expect(s.connected).toBe(true);
    const bad = await p.fetch("/demo/token", { method: "POST", json: { roles: "admin" } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: "VALIDATION" } });
  });
});

describe("the demo console is opt-in, and never mints with a real secret", () => {
  const probe = async (p: TestPlatform) => ({
    page: (await p.fetch("/demo")).status,
    bundle: (await p.fetch("/demo/client.js")).status,
    token: (await p.fetch("/demo/token", { method: "POST", json: { sub: "x", tenantId: "any", roles: ["admin"] } })).status,
  });

  test("default platform (no DEMO): /demo, /demo/client.js and /demo/token are 404", async () => {
    const p = await startPlatform({ inProcess: true });
    try {
      expect(await probe(p)).toEqual({ page: 404, bundle: 404, token: 404 });
      expect((await p.fetch("/health")).status).toBe(200);
    } finally {
      await p.stop();
    }
  });

  test("DEMO=true with a real JWT_SECRET (not production): the page is served, /demo/token is 404", async () => {
    const p = await startPlatform({ inProcess: true, env: { DEMO: "true", JWT_SECRET: REAL_SECRET } });
    try {
      expect(await probe(p)).toEqual({ page: 200, bundle: 200, token: 404 });
    } finally {
      await p.stop();
    }
  });

  test("NODE_ENV=production: /demo, /demo/client.js and /demo/token are 404", async () => {
    const p = await startPlatform({ env: { NODE_ENV: "production", JWT_SECRET: REAL_SECRET } });
    try {
      expect(await probe(p)).toEqual({ page: 404, bundle: 404, token: 404 });
      expect((await p.fetch("/health")).status).toBe(200);
    } finally {
      await p.stop();
    }
  });

  test("start-up logs whether the console and its token minting are on", async () => {
    expect(await demoLogLine({})).toMatchObject({ msg: "demo console off", demo: false, tokenMinting: false });
    expect(await demoLogLine({ DEMO: "true" })).toMatchObject({ msg: "demo console on", demo: true, tokenMinting: true });
    expect(await demoLogLine({ DEMO: "true", JWT_SECRET: REAL_SECRET })).toMatchObject({ demo: true, tokenMinting: false });
  });
});
