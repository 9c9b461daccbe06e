import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { startPlatform, type TestPlatform } from "@rt/testkit";

setDefaultTimeout(20_000);

describe.each([
  ["development, DEMO=true", { DEMO: "true" }, true],
  ["development, no DEMO", {}, false],
  ["production", { NODE_ENV: "production", JWT_SECRET: "Pr0duction-secret-0123456789abcdefXYZ" }, false],
] as const)("%s", (_label, vars, demo) => {
  let p: TestPlatform;
  beforeAll(async () => {
    p = await startPlatform({ env: vars });
  }, 30_000);
  afterAll(() => p.stop());

  test("GET /client.js serves the client SDK as a cacheable browser ES module with a version and an ETag", async () => {
    const res = await p.fetch("/client.js");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("javascript");
    expect(res.headers.get("cache-control")).toBe("public, max-age=3600");
    expect(res.headers.get("x-client-version")).toBe("0.1.0");
    const etag = res.headers.get("etag")!;
    expect(etag).toMatch(/^"0\.1\.0-[\w-]+"$/);
    const code = await res.text();
    expect(code).toMatch(/export\s*\{[^}]*\bconnect\b/);
    expect(code).not.toContain("ZodError"); // types only from the contracts
    const again = await p.fetch("/client.js", { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
  });

  test("GET / links the docs, the API documents and the client; /demo only when the console is on", async () => {
    const res = await p.fetch("/");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { links: Record<string, string> };
    expect(body.links).toMatchObject({ docs: "/docs", asyncapi: "/asyncapi.json", openapi: "/openapi.json", client: "/client.js" });
    const demoServed = (await p.fetch("/demo")).status === 200;
    expect(body.links.demo === "/demo").toBe(demoServed);
    expect(demoServed).toBe(demo);
    for (const href of Object.values(body.links)) expect((await p.fetch(href)).status).toBe(200);
    const page = await p.fetch("/", { headers: { accept: "text/html" } });
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(await page.text()).toContain('href="/asyncapi.json"');
  });

  test("GET /docs/openapi shows /openapi.json in Swagger UI, its script and styles served by the gateway (no CDN)", async () => {
    const page = await p.fetch("/docs/openapi");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('url: "/openapi.json"');
    expect(html).not.toMatch(/https?:\/\//);
    const js = await p.fetch("/docs/openapi/swagger-ui-bundle.js");
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toContain("javascript");
    expect((await js.text()).length).toBeGreaterThan(500_000);
    expect((await p.fetch("/docs/openapi/swagger-ui.css")).status).toBe(200);
    expect((await p.fetch("/docs/openapi/package.json")).status).toBe(404);
  });

  test("GET /docs/asyncapi shows /asyncapi.json in the AsyncAPI viewer, its script and styles served by the gateway (no CDN)", async () => {
    const page = await p.fetch("/docs/asyncapi");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('fetch("/asyncapi.json")');
    expect(html).not.toMatch(/https?:\/\//);
    const js = await p.fetch("/docs/asyncapi/asyncapi.js");
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toContain("javascript");
    expect(await js.text()).toContain("AsyncApiStandalone");
    expect((await p.fetch("/docs/asyncapi/asyncapi.css")).status).toBe(200);
    expect((await p.fetch("/docs/asyncapi/package.json")).status).toBe(404);
  });
});
