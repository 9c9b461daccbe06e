import { afterAll, beforeAll, expect, test, setDefaultTimeout } from "bun:test";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { startPlatform, TEST_API_KEY, type TestPlatform } from "@rt/testkit";

setDefaultTimeout(20_000);

/**
 * The hooks in Debian's Chromium: test-app/app.ts, bundled here with `bun build` (React included),
 * is served at the gateway's own origin (playwright answers the page's two URLs), so the page
 * talks to the real gateway as an app on the same host would. Two users: a data change and a
 * notification arrive, a chat message round-trips, and chat keeps working after a reconnect.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

let p: TestPlatform;
let browser: Browser;
let bundle: string;

beforeAll(async () => {
  const built = await Bun.build({
    entrypoints: [join(import.meta.dir, "../test-app/app.ts")],
    target: "browser",
    format: "esm",
    define: { "process.env.NODE_ENV": '"production"' },
  });
  if (!built.success) throw new Error(built.logs.map(String).join("\n"));
  bundle = await built.outputs[0]!.text();
  p = await startPlatform({ env: { RATE_LIMIT_DEFAULT: "1000", RATE_LIMIT_TYPING: "1000", RECOVERY_MS: "2000" } });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await p?.stop();
}, 30_000);

async function openAs(sub: string, name: string, roomId: number): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  page.setDefaultTimeout(8000);
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.route(`${p.url}/hooks-app`, (r) => r.fulfill({ contentType: "text/html", body: '<div id="root"></div><script type="module" src="/hooks-app.js"></script>' }));
  await page.route(`${p.url}/hooks-app.js`, (r) => r.fulfill({ contentType: "text/javascript", body: bundle }));
  const token = await p.token({ sub, name });
  await page.goto(`${p.url}/hooks-app#token=${token}&room=${roomId}`);
  await page.waitForSelector("#state:text('connected')");
  await page.waitForSelector("#room:text('joined')");
  expect(errors).toEqual([]);
  return page;
}

const has = (page: Page, selector: string, text: string) => page.waitForFunction(([s, t]) => document.querySelector(s!)!.textContent!.includes(t!), [selector, text]);

test("two users on a page built from @rt/react: data change, notification, chat round trip, typing, reconnect", async () => {
  const owner = await p.token({ sub: "hk-a" });
  const res = await p.fetch("/api/chat/rooms", { method: "POST", token: owner, json: { name: "hooks", memberIds: ["hk-b"] } });
  const room = (await res.json()) as { id: number };
  const a = await openAs("hk-a", "Ann", room.id);
  const b = await openAs("hk-b", "Bob", room.id);
  await has(a, "#sync", "connected yes socket yes");

  // Seed 001: a data change of a subscribed type reaches both pages' onDataChange.
  const publish = (json: unknown) => p.fetch("/api/publish", { method: "POST", headers: { "x-api-key": TEST_API_KEY }, json });
  expect((await publish({ tenantId: p.tenant, target: { kind: "sync", id: "EquipmentItem" }, event: "data-change", data: { action: "UPDATE", data: { id: 1 } } })).status).toBe(
    202,
  );
  await has(a, "#changes", "EquipmentItem:UPDATE");
  await has(b, "#changes", "EquipmentItem:UPDATE");

  // A stored notification for B: onNotification, useNotifications' list and badge, the provider's count.
  const note = await p.fetch("/api/notifications", {
    method: "POST",
    headers: { "x-api-key": TEST_API_KEY },
    json: { tenantId: p.tenant, userId: "hk-b", title: "Booking confirmed", message: "Studio A" },
  });
  expect(note.status).toBe(201);
  await has(b, "#sync-notes", "Booking confirmed");
  await has(b, "#notes", "Booking confirmed");
  await has(b, "#badge", "1");
  await has(b, "#unread", "1");
  expect(await a.locator("#badge").innerText()).toBe("0");
  await b.evaluate(() => window.rt.markAllRead());
  await has(b, "#badge", "0");
  await has(b, "#notes", "Booking confirmed (read)");

  // Seed 004: the provider's handlers receive a published event through useSocketConnection().
  expect((await publish({ tenantId: p.tenant, target: { kind: "user", id: "hk-a" }, event: "booking_reminder", data: { bookingId: 7 } })).status).toBe(202);
  await a.waitForFunction(() => window.seen.includes("booking_reminder 7"));

  // Chat: typing shows on the other page, a message round-trips both ways.
  await a.evaluate(() => window.rt.typing(true));
  await has(b, "#typing", "hk-a");
  await a.evaluate(() => window.rt.send("Hello Bob"));
  await has(b, "#messages", "Ann: Hello Bob");
  await has(a, "#messages", "Ann: Hello Bob");
  await b.evaluate(() => window.rt.send("Hi Ann"));
  await has(a, "#messages", "Bob: Hi Ann");

  // A reconnect (transport dropped): the page comes back and chat still works both ways.
  await b.evaluate(() => window.rt.dropTransport());
  await b.waitForFunction(() => window.seen.at(-2) === "state reconnecting" && window.seen.at(-1) === "state connected");
  await b.waitForFunction(() => document.querySelector("#room")!.textContent === "joined");
  await a.evaluate(() => window.rt.send("Still there?"));
  await has(b, "#messages", "Ann: Still there?");
  await b.evaluate(() => window.rt.send("Yes"));
  await has(a, "#messages", "Bob: Yes");
}, 90_000);

test("useRealTimeSync catches up with sync:since after a reconnect past the recovery window: every missed change once, in seq order, then live", async () => {
  const owner = await p.token({ sub: "hk-c" });
  const res = await p.fetch("/api/chat/rooms", { method: "POST", token: owner, json: { name: "sync-catch-up", memberIds: [] } });
  const room = (await res.json()) as { id: number };
  const page = await openAs("hk-c", "Cy", room.id);
  const publish = (n: number) =>
    p.fetch("/api/publish", {
      method: "POST",
      headers: { "x-api-key": TEST_API_KEY },
      json: { tenantId: p.tenant, target: { kind: "sync", id: "Rental" }, event: "data-change", data: { action: "UPDATE", data: { n } } },
    });
  expect((await publish(1)).status).toBe(202);
  await has(page, "#changes", "Rental:UPDATE#1");
  await page.evaluate(() => window.rt.awayFor(3500));
  await page.waitForFunction(() => window.seen.at(-1) !== "state connected");
  for (const n of [2, 3, 4]) expect((await publish(n)).status).toBe(202);
  await page.waitForFunction(() => window.seen.at(-1) === "state connected", undefined, { timeout: 15_000 });
  await has(page, "#changes", "Rental:UPDATE#4");
  expect((await publish(5)).status).toBe(202);
  await has(page, "#changes", "Rental:UPDATE#5");
  const rentals = (await page.locator("#changes li").allInnerTexts()).filter((t) => t.startsWith("Rental"));
  expect(rentals).toEqual([1, 2, 3, 4, 5].map((n) => `Rental:UPDATE#${n}`));
}, 60_000);
