import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chromium, type Browser, type Page } from "playwright-core";
import { startPlatform, testMode, type TestPlatform } from "@rt/testkit";

/** /docs, /docs/openapi and /docs/asyncapi in Debian's Chromium: both maintained viewers render the platform's documents, offline. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
// What /docs serves does not depend on the mode: it runs in the embedded pass only.
describe.if(testMode() === "embedded")("the docs viewers in a browser", () => {
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

  /** A page that records script errors and every request that leaves the gateway. */
  async function watchedPage(): Promise<{ page: Page; elsewhere: string[]; errors: string[] }> {
    const page = await browser.newPage();
    const elsewhere: string[] = [];
    const errors: string[] = [];
    page.on("request", (r) => {
      if (!r.url().startsWith(p.url) && !r.url().startsWith("data:")) elsewhere.push(r.url());
    });
    page.on("pageerror", (e) => errors.push(e.message));
    return { page, elsewhere, errors };
  }

  test("Swagger UI at /docs/openapi renders the platform's routes with no request leaving the gateway", async () => {
    const { page, elsewhere, errors } = await watchedPage();
    await page.goto(`${p.url}/docs/openapi`);
    await page.waitForSelector(".opblock", { timeout: 15_000 });
    const text = await page.locator("#ui").innerText();
    for (const path of ["/api/publish", "/api/chat/rooms", "/api/payments/webhook"]) expect(text).toContain(path);
    expect(await page.locator(".opblock").count()).toBeGreaterThan(20);
    expect(errors).toEqual([]);
    expect(elsewhere).toEqual([]);
    await page.close();
  }, 60_000);

  test("the AsyncAPI viewer at /docs/asyncapi renders message:send with its payload schema, with no request leaving the gateway", async () => {
    const { page, elsewhere, errors } = await watchedPage();
    await page.goto(`${p.url}/docs/asyncapi`);
    const payload = page.locator('[id="message-client.message_send-payload"]');
    await payload.waitFor({ timeout: 60_000 }); // the viewer's bundle takes seconds to render, tens on a loaded machine
    await payload.getByText("Expand all").click();
    const text = await payload.innerText();
    // The fields of the contracts' message:send schema, with their rules: roomId and content required, content 1..10000 characters, type's enum.
    for (const s of ["roomId", "content", "type", "fileUrl", "clientMsgId", "required", "[ 1 .. 10000 ] characters", '"TEXT"', '"IMAGE"']) expect(text).toContain(s);
    // Server events are there too, by their Socket.IO names.
    const all = await page.locator("#asyncapi").innerText();
    for (const s of ["message:send", "payment_update", "notification", "rt.svc.chat.message:send"]) expect(all).toContain(s);
    expect(errors).toEqual([]);
    expect(elsewhere).toEqual([]);
    await page.close();
  }, 90_000);

  test("/docs links both viewers and both documents, and each link opens", async () => {
    const { page, elsewhere, errors } = await watchedPage();
    await page.goto(`${p.url}/docs`);
    const hrefs = await page.locator("a").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
    expect(hrefs).toEqual(expect.arrayContaining(["/docs/asyncapi", "/docs/openapi", "/asyncapi.json", "/openapi.json"]));
    await page.getByRole("link", { name: "Socket.IO events and NATS subjects" }).click();
    await page.locator('[id="message-client.message_send"]').waitFor({ timeout: 60_000 });
    await page.goto(`${p.url}/docs`);
    await page.getByRole("link", { name: "REST API" }).click();
    await page.waitForSelector(".opblock", { timeout: 15_000 });
    expect(errors).toEqual([]);
    expect(elsewhere).toEqual([]);
    await page.close();
  }, 90_000);
});
