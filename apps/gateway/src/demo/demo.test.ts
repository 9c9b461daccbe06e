import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { verifyToken } from "@rt/auth";
import { startPlatform, type TestPlatform } from "@rt/testkit";
import { authConfig } from "../socket/auth.ts";

// Real servers (and a browser): the suite's 20 s per test, also under a plain `bun test`.
setDefaultTimeout(20_000);

describe("demo console (not production)", () => {
  let p: TestPlatform;
  beforeAll(async () => {
    p = await startPlatform();
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
    const gw = { config: p.config } as Parameters<typeof authConfig>[0];
    expect(await verifyToken(token, authConfig(gw))).toMatchObject({ userId: "demo-u", tenantId: p.tenant, roles: ["admin"], name: "Dee" });
    const s = await p.connect({ sub: "ignored", auth: { token } });
    expect(s.connected).toBe(true);
    const bad = await p.fetch("/demo/token", { method: "POST", json: { roles: "admin" } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: "VALIDATION" } });
  });
});

test("NODE_ENV=production: /demo, /demo/client.js and /demo/token are 404", async () => {
  const p = await startPlatform({ env: { NODE_ENV: "production", JWT_SECRET: "production-secret-0123456789abcdef" } });
  try {
    expect((await p.fetch("/demo")).status).toBe(404);
    expect((await p.fetch("/demo/client.js")).status).toBe(404);
    expect((await p.fetch("/demo/token", { method: "POST", json: { sub: "x" } })).status).toBe(404);
    expect((await p.fetch("/health")).status).toBe(200);
  } finally {
    await p.stop();
  }
});
