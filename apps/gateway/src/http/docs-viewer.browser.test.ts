import { afterAll, beforeAll, expect, test } from "bun:test";
import { chromium, type Browser } from "playwright-core";
import { startPlatform, type TestPlatform } from "@rt/testkit";

/** /docs/openapi in Debian's Chromium: Swagger UI renders every route of the merged document, offline. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
let p: TestPlatform;
let browser: Browser;

beforeAll(async () => {
  p = await startPlatform();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"] });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await p?.stop();
}, 30_000);

test("Swagger UI at /docs/openapi renders the platform's routes with no request leaving the gateway", async () => {
  const page = await browser.newPage();
  const elsewhere: string[] = [];
  page.on("request", (r) => {
    if (!r.url().startsWith(p.url) && !r.url().startsWith("data:")) elsewhere.push(r.url());
  });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${p.url}/docs/openapi`);
  await page.waitForSelector(".opblock", { timeout: 15_000 });
  const text = await page.locator("#ui").innerText();
  for (const path of ["/api/publish", "/api/chat/rooms", "/api/payments/webhook"]) expect(text).toContain(path);
  expect(await page.locator(".opblock").count()).toBeGreaterThan(20);
  expect(errors).toEqual([]);
  expect(elsewhere).toEqual([]);
}, 60_000);
