import { afterAll, beforeAll, expect, test, setDefaultTimeout } from "bun:test";
import { mkdirSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";
import { startPlatform, TEST_API_KEY, type TestPlatform } from "@rt/testkit";

// Real servers (and a browser): the suite's 20 s per test, also under a plain `bun test`.
setDefaultTimeout(20_000);

/**
 * The demo console in a real browser (Debian Chromium, `.ci/run` installs it): two users of one
 * tenant chat, type, see each other online and get a notification, all through the page.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SCREENSHOT = "test-results/demo.png";

let p: TestPlatform;
let browser: Browser;

beforeAll(async () => {
  p = await startPlatform({ env: { DEMO: "true", ALLOWED_ORIGINS: "http://app.example", RATE_LIMIT_DEFAULT: "1000", RATE_LIMIT_TYPING: "1000" } });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      ...["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
      // WebRTC on one machine: fake camera and microphone, no permission prompt, loopback
      // candidates allowed, and real addresses instead of mDNS names (no multicast queries).
      ...["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", "--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns"],
    ],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await p?.stop();
}, 30_000);

async function openAs(sub: string, name: string, query = ""): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 960 } });
  const page = await context.newPage();
  page.setDefaultTimeout(8000);
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${p.url}/demo${query}`);
  await page.fill("#sub", sub);
  await page.fill("#name", name);
  await page.fill("#tenant", p.tenant);
  await page.fill("#roles", "");
  await page.click("#mint");
  await page.waitForFunction(() => (document.getElementById("token") as HTMLTextAreaElement).value.split(".").length === 3);
  await page.click("#connect");
  await page.waitForSelector('#state[data-state="connected"]');
  await page.waitForFunction((id) => document.getElementById("me")!.textContent!.includes(`(${id})`), sub);
  expect(errors).toEqual([]);
  return page;
}

const text = (page: Page, selector: string) => page.locator(selector).innerText();

test("two users chat through the demo console: room, typing, message, presence, notification badge", async () => {
  const a = await openAs("demo-a", "Ann");
  const b = await openAs("demo-b", "Bob");

  // Presence: B's list (presence:list at connect) has A; A hears B come online.
  await b.waitForFunction(() => document.getElementById("online")!.textContent!.includes("Ann (demo-a)"));
  await a.waitForFunction(() => document.getElementById("online")!.textContent!.includes("Bob (demo-b)"));

  // A creates a room with B (REST), joins it; B joins by id.
  await a.fill("#room-name", "launch");
  await a.fill("#room-members", "demo-b");
  await a.click("#create-room");
  await a.waitForFunction(() => document.getElementById("room-label")!.textContent!.includes("room"));
  const roomId = await a.inputValue("#room-id");
  expect(roomId).toMatch(/^\d+$/);
  await b.fill("#room-id", roomId);
  await b.click("#join-room");
  await b.waitForFunction((id) => document.getElementById("room-label")!.textContent!.includes(`room ${id}`), roomId);

  // A types: B sees the indicator; A sends: B sees the message and the indicator goes.
  await a.locator("#message-input").pressSequentially("Hello Bob", { delay: 15 });
  await b.waitForFunction(() => document.getElementById("typing")!.textContent === "Ann is typing…");
  await a.press("#message-input", "Enter");
  await b.waitForFunction(() => document.getElementById("messages")!.textContent!.includes("Hello Bob"));
  await b.waitForFunction(() => document.getElementById("typing")!.textContent === "");
  await b.locator("#message-input").pressSequentially("Hi Ann!");
  await b.press("#message-input", "Enter");
  await a.waitForFunction(() => document.getElementById("messages")!.textContent!.includes("Hi Ann!"));
  expect(await a.locator("#messages .msg.mine").count()).toBe(1);

  // A test notification moves A's badge.
  const before = Number(await text(a, "#badge"));
  await a.click("#test-notification");
  await a.waitForFunction((n) => Number(document.getElementById("badge")!.textContent) === n + 1, before);
  expect(await text(a, "#notifications")).toContain("Test notification");
  expect(await text(b, "#badge")).toBe("0");

  // Subscriptions: B's payments and data sync from the page, fed through the publish API.
  await b.click("#subscribe-payments");
  await b.waitForFunction(() => document.getElementById("subscribe-payments")!.textContent!.startsWith("Unsubscribe"));
  await b.fill("#entity-types", "Rental");
  await b.click("#join-sync");
  await b.waitForFunction(() => document.getElementById("log")!.textContent!.includes("data sync joined"));
  const publish = (json: unknown) => p.fetch("/api/publish", { method: "POST", headers: { "x-api-key": TEST_API_KEY }, json });
  await publish({
    tenantId: p.tenant,
    target: { kind: "payments" },
    event: "payment_update",
    data: { type: "payment_update", data: { invoiceId: "inv_demo", status: "paid", amount: 42, userId: "demo-b" }, timestamp: new Date().toISOString() },
  });
  await publish({ tenantId: p.tenant, target: { kind: "sync", id: "Rental" }, event: "data-change", data: { action: "UPDATE", data: { id: 7 } } });
  await b.waitForFunction(() => document.getElementById("payments")!.textContent!.includes("inv_demo: paid 42"));
  await b.waitForFunction(() => document.getElementById("log")!.textContent!.includes("data-change"));
  // The live log shows what the page received.
  for (const ev of ["message:new", "user:typing", "notification:unread-count"]) expect(await text(b, "#log")).toContain(ev);

  // Screenshot of A's console; not blank: real size, many colours, the text on screen.
  mkdirSync("test-results", { recursive: true });
  const png = await a.screenshot({ path: SCREENSHOT, fullPage: true });
  expect(png.byteLength).toBeGreaterThan(30_000);
  const colours = await countColours(png);
  expect(colours).toBeGreaterThan(50);
  const visible = await a.evaluate(() => document.body.innerText);
  for (const s of ["Realtime demo console", "connected", "Hello Bob", "Hi Ann!", "Bob (demo-b)"]) expect(visible).toContain(s);
}, 90_000);

test("a video call between two pages connects through call:signal and media flows (loopback ICE only)", async () => {
  // ?ice=loopback: no STUN/TURN servers and only 127.0.0.1 candidates are signalled.
  const a = await openAs("call-a", "Ann", "?ice=loopback");
  const b = await openAs("call-b", "Bob", "?ice=loopback");
  await a.fill("#room-name", "call room");
  await a.fill("#room-members", "call-b");
  await a.click("#create-room");
  await a.waitForFunction(() => document.getElementById("room-label")!.textContent!.includes("room"));
  await b.fill("#room-id", await a.inputValue("#room-id"));
  await b.click("#join-room");
  await b.waitForFunction(() => document.getElementById("room-label")!.textContent!.includes("room"));

  await a.click("#call-start");
  await b.waitForFunction(() => document.getElementById("call-state")!.textContent!.startsWith("incoming call from Ann"));
  await b.click("#call-answer");

  type Seen = { state: string; inboundBytes: number; candidates: string[] };
  const seen = (page: Page) =>
    page.evaluate(async (): Promise<Seen> => {
      const pc = (window as unknown as { rtDemoCall: { pc: RTCPeerConnection } | null }).rtDemoCall?.pc;
      if (!pc) return { state: "none", inboundBytes: 0, candidates: [] };
      let inboundBytes = 0;
      const candidates: string[] = [];
      (await pc.getStats()).forEach((r) => {
        if (r.type === "inbound-rtp") inboundBytes += r.bytesReceived ?? 0;
        // Signalled candidates are "host"; "prflx" ones are learnt from checks (address hidden).
        if (r.type === "remote-candidate" && r.candidateType === "host") candidates.push(r.address ?? r.ip);
      });
      return { state: pc.connectionState, inboundBytes, candidates };
    });
  const signalled: string[] = [];
  for (const page of [a, b]) {
    await page.waitForFunction(() => document.getElementById("call-state")!.dataset.state === "connected", undefined, { timeout: 20_000 });
    let s = await seen(page);
    for (let i = 0; i < 100 && s.inboundBytes === 0; i++) {
      await page.waitForTimeout(100);
      s = await seen(page);
    }
    expect(s.state).toBe("connected");
    expect(s.inboundBytes).toBeGreaterThan(0);
    signalled.push(...s.candidates);
  }

  // Every candidate that went through the platform was a loopback one.
  expect(signalled.length).toBeGreaterThan(0);
  expect(new Set(signalled)).toEqual(new Set(["127.0.0.1"]));

  // B leaves: A hears call:left and closes its side; the call ended with its last participant.
  await b.click("#call-leave");
  await a.waitForFunction(() => ["the other side left", "ended"].includes(document.getElementById("call-state")!.textContent!));
  await a.click("#call-leave").catch(() => undefined);
}, 90_000);

/** Distinct RGBA values of a PNG, decoded by the browser itself (no image library needed). */
async function countColours(png: Buffer): Promise<number> {
  const page = await browser.newPage();
  try {
    return await page.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const canvas = Object.assign(document.createElement("canvas"), { width: img.width, height: img.height });
      const ctx = canvas.getContext("2d")!;
      ctx.drawImage(img, 0, 0);
      const data = new Uint32Array(ctx.getImageData(0, 0, img.width, img.height).data.buffer);
      return new Set(data).size;
    }, png.toString("base64"));
  } finally {
    await page.close();
  }
}
