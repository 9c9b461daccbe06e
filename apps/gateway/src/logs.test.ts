import { afterAll, beforeAll, expect, test } from "bun:test";
import { io as ioClient } from "socket.io-client";
import { mintToken } from "@rt/auth";
import { emitAck, startPlatform, TEST_API_KEY, TEST_WEBHOOK_SECRET, waitFor, type ClientSocket, type TestPlatform } from "@rt/testkit";
import { signWebhook } from "../../payments/src/sign-webhook.ts";

type Line = Record<string, unknown> & { msg: string; level: number };
const raw: string[] = [];
/** Every line of the run, startup included (raw is cleared by the tests). */
const all: string[] = [];
const lines = () => raw.map((l) => JSON.parse(l) as Line);
const INFO = 30;

let p: TestPlatform;
beforeAll(async () => {
  p = await startPlatform({ inProcess: true, env: { LOG_LEVEL: "debug" }, logDestination: { write: (s: string) => void (raw.push(s), all.push(s)) } });
}, 30_000);
afterAll(async () => {
  await p?.stop();
});

const open = (opts: Parameters<typeof ioClient>[1]) => ioClient(p.url, { transports: ["websocket"], reconnection: false, forceNew: true, ...opts });
async function connected(s: ClientSocket) {
  await waitFor(s, "connect");
  return s;
}

test("one traceId follows a client event from the gateway to the service and back", async () => {
  const token = await p.token({ sub: "tracy", roles: ["admin"] });
  const room = await (await p.fetch("/api/chat/rooms", { method: "POST", token, json: { name: "t", memberIds: [] } })).json();
  const s = await connected(open({ auth: { token } }));
  expect((await emitAck(s, "join_room", { roomId: room.id })).ok).toBe(true);
  raw.length = 0;
  const got = waitFor(s, "message:new");
  expect((await emitAck(s, "message:send", { roomId: room.id, content: "trace me" })).ok).toBe(true);
  await got;
  await Bun.sleep(50);
  const gatewayLine = lines().find((l) => l.msg === "event handled" && l.event === "message:send");
  expect(gatewayLine).toMatchObject({ code: "OK", userId: "tracy", traceId: expect.any(String), ms: expect.any(Number) });
  const traceId = gatewayLine!.traceId;
  expect(lines().find((l) => l.msg === "action handled")).toMatchObject({ traceId, action: "chat.message:send", code: "OK", userId: "tracy" });
  expect(lines().find((l) => l.msg === "delivered" && l.event === "message:new")).toMatchObject({ traceId });
  s.close();
});

test("an HTTP request's id reaches the service; a caller's X-Request-Id is kept", async () => {
  const token = await p.token({ sub: "tracy" });
  raw.length = 0;
  const res = await p.fetch("/api/chat/rooms", { token, headers: { "x-request-id": "req-123" } });
  expect(res.status).toBe(200);
  expect(res.headers.get("x-request-id")).toBe("req-123");
  await Bun.sleep(20);
  expect(lines().find((l) => l.msg === "http relayed")).toMatchObject({ traceId: "req-123", service: "chat", status: 200 });
  expect(lines().find((l) => l.msg === "http handled")).toMatchObject({ traceId: "req-123", status: 200, userId: "tracy" });
});

test("connect, auth failures and disconnects are logged at info; no token, key, secret or signature is ever logged", async () => {
  raw.length = 0;
  const secrets: string[] = [TEST_API_KEY, TEST_WEBHOOK_SECRET, p.config.JWT_SECRET!];
  const good = await p.token({ sub: "ann", roles: ["admin", "pdg"], name: "Ann" });
  const forged = await mintToken({ sub: "ann", tenantId: p.tenant }, { secret: "someone-elses-secret-0123456789" });
  secrets.push(good, forged);

  // A token in each place a handshake can carry one.
  const viaAuth = await connected(open({ auth: { token: good } }));
  const viaHeader = await connected(open({ extraHeaders: { authorization: `Bearer ${good}` } }));
  const viaQuery = await connected(open({ query: { token: good } }));
  // Refused handshake, refused and accepted `authenticate`.
  const refused = open({ auth: { token: forged } });
  await waitFor(refused, "connect_error");
  refused.close();
  expect((await emitAck(viaAuth, "authenticate", { token: forged })).ok).toBe(false);
  expect((await emitAck(viaAuth, "authenticate", good)).ok).toBe(true);

  // Publish API with the key, and with a wrong one.
  const wrongKey = "wrong-publish-key-9876543210";
  secrets.push(wrongKey);
  const envelope = { tenantId: p.tenant, target: { kind: "user", id: "ann" }, event: "hello", data: {} };
  expect((await p.fetch("/api/publish", { method: "POST", headers: { "x-api-key": TEST_API_KEY }, json: envelope })).status).toBe(202);
  expect((await p.fetch("/api/publish", { method: "POST", headers: { "x-api-key": wrongKey }, json: envelope })).status).toBe(401);
  expect((await p.fetch("/api/notifications", { method: "POST", headers: { "x-api-key": TEST_API_KEY }, json: { tenantId: p.tenant, userId: "ann", title: "t" } })).status).toBe(
    201,
  );

  // A signed webhook, and one with a bad signature.
  const body = JSON.stringify({ id: `evt-${crypto.randomUUID()}`, type: "invoice.paid", tenantId: p.tenant, data: { invoiceId: `${p.tenant}-inv-1`, status: "paid", amount: 5 } });
  const signature = signWebhook(TEST_WEBHOOK_SECRET, body);
  const badSignature = signWebhook("not-the-webhook-secret-000000", body);
  secrets.push(signature, signature.split("v1=")[1]!, badSignature, badSignature.split("v1=")[1]!);
  const hook = (sig: string) => p.fetch("/api/payments/webhook", { method: "POST", headers: { "payment-signature": sig, "content-type": "application/json" }, body });
  expect((await hook(signature)).status).toBe(200);
  expect((await hook(badSignature)).status).toBe(400);

  // Bearer over HTTP, good and forged.
  expect((await p.fetch("/api/notifications", { token: good })).status).toBe(200);
  expect((await p.fetch("/api/notifications", { token: forged })).status).toBe(401);

  for (const s of [viaAuth, viaHeader, viaQuery]) s.close();
  await Bun.sleep(100);

  const all = lines();
  const info = all.filter((l) => l.level === INFO);
  const connects = info.filter((l) => l.msg === "socket connected" && l.userId === "ann");
  expect(connects).toHaveLength(3);
  expect(connects[0]).toMatchObject({ tenantId: p.tenant, roles: ["admin", "pdg"] });
  expect(info.find((l) => l.msg === "handshake refused")).toMatchObject({ reason: expect.any(String) });
  expect(info.find((l) => l.msg === "authenticate refused")).toMatchObject({ reason: expect.any(String) });
  expect(info.find((l) => l.msg === "http auth failed")).toMatchObject({ reason: expect.any(String), traceId: expect.any(String) });
  expect(info.filter((l) => l.msg === "socket disconnected" && l.userId === "ann").map((l) => l.reason)).toContain("client namespace disconnect");

  const text = raw.join("");
  expect(all.length).toBeGreaterThan(20);
  for (const secret of secrets) expect(text.includes(secret), `a log line holds ${secret.slice(0, 12)}…`).toBe(false);
  expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{8,}\.eyJ/); // nothing shaped like a JWT
});

test("each field appears once per line (startup lines included)", () => {
  expect(all.some((l) => JSON.parse(l).msg === "gateway listening")).toBe(true);
  for (const line of all) {
    const top = Object.keys(JSON.parse(line) as object);
    const twice = top.filter((k) => line.split(`"${k}":`).length > 2 && !/[{[]/.test(line.slice(1, -2)));
    expect({ line, twice }).toEqual({ line, twice: [] });
  }
});
