import { afterAll, beforeAll, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { expectSafeMessage, startServices, uniqueTenant, type ServiceHarness } from "@rt/testkit";
import { loadConfig } from "@rt/service-kit";
import { callsService } from "./service.ts";

const TURN_ENV = { TURN_URLS: "turn:127.0.0.1:3478?transport=udp, turns:127.0.0.1:5349", TURN_SECRET: "a-coturn-static-auth-secret", TURN_TTL: "600" };

let on: ServiceHarness;
let off: ServiceHarness;
beforeAll(async () => {
  on = await startServices([callsService], { env: TURN_ENV });
  off = await startServices([callsService]);
}, 30_000);
afterAll(async () => {
  await on?.stop();
  await off?.stop();
});

test("GET /api/calls/turn-credentials: coturn's TURN REST format, for the verified user, expiring after TURN_TTL", async () => {
  const t = uniqueTenant();
  const before = Math.floor(Date.now() / 1000);
  const r = await on.http("GET", "/api/calls/turn-credentials", { ctx: { tenantId: t, userId: "alice" } });
  expect(r.status).toBe(200);
  expect(r.json).toEqual({
    urls: ["turn:127.0.0.1:3478?transport=udp", "turns:127.0.0.1:5349"],
    username: expect.stringMatching(/^\d+:alice$/),
    credential: expect.any(String),
    ttl: 600,
  });
  const expiry = Number(r.json.username.split(":")[0]);
  expect(expiry).toBeGreaterThanOrEqual(before + 600);
  expect(expiry).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 600);
  // What coturn computes from its static-auth-secret.
  expect(r.json.credential).toBe(createHmac("sha1", TURN_ENV.TURN_SECRET).update(r.json.username).digest("base64"));

  const anonymous = await on.http("GET", "/api/calls/turn-credentials");
  expect(anonymous.status).toBe(401);
  expect(anonymous.json.error.code).toBe("UNAUTHENTICATED");
});

test("without TURN configured it is 404 with a message saying so; /api/calls/:callId still works", async () => {
  const r = await off.http("GET", "/api/calls/turn-credentials", { ctx: { tenantId: uniqueTenant(), userId: "alice" } });
  expect(r.status).toBe(404);
  expect(r.json.error).toEqual({ code: "NOT_FOUND", message: "TURN is not configured on this platform (TURN_URLS, TURN_SECRET)" });
  expectSafeMessage(r.json.error.message);
  expect((await off.http("GET", "/api/calls/123456789", { ctx: { tenantId: uniqueTenant(), userId: "alice" } })).status).not.toBe(200);
});

test("half a TURN configuration, or a weak secret in production, stops the start", () => {
  expect(() => loadConfig({ TURN_URLS: "turn:127.0.0.1:3478" })).toThrow("TURN_SECRET: is required with TURN_URLS");
  expect(() => loadConfig({ TURN_SECRET: "a-coturn-static-auth-secret" })).toThrow("TURN_URLS: is required with TURN_SECRET");
  expect(() => loadConfig({ ...TURN_ENV, NODE_ENV: "production", JWT_SECRET: "k3V9#qLw2!xZ7@pRt5$yNb8&mHc4^dGf6" })).toThrow(
    "TURN_SECRET: must be at least 32 bytes in production",
  );
});
