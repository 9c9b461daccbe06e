import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { subjects } from "@rt/contracts";
import { expectNone, startPlatform, TEST_API_KEY, waitFor, type TestPlatform } from "@rt/testkit";

/** Publish keys scoped to tenants: PUBLISH_API_KEYS beside the all-tenant PUBLISH_API_KEY. */
const run = crypto.randomUUID().slice(0, 8);
const A = `acme-${run}`;
const A2 = `acme-eu-${run}`;
const B = `globex-${run}`;
const KEY_A = `key-for-acme-${run}-0123456789`;
const KEY_ALL = `key-for-all-${run}-0123456789`;

type Line = Record<string, unknown> & { msg: string };
const raw: string[] = [];
const lines = () => raw.map((l) => JSON.parse(l) as Line);

let p: TestPlatform;
beforeAll(async () => {
  p = await startPlatform({
    env: { PUBLISH_API_KEYS: `${KEY_A}=${A}|${A2}, ${KEY_ALL}=*`, LOG_LEVEL: "info" },
    logDestination: { write: (s: string) => void raw.push(s) },
  });
}, 60_000);
afterAll(async () => {
  await p?.stop();
});

const envTo = (tenantId: string, userId: string) => ({ tenantId, target: { kind: "user", id: userId }, event: "new_booking", data: { n: 1 } });
const post = (path: string, key: string, json: unknown) => p.fetch(path, { method: "POST", json, headers: { "x-api-key": key } });
const metric = async (name: string) => {
  const text = await (await p.fetch("/metrics")).text();
  return text
    .split("\n")
    .filter((l) => l.startsWith(name))
    .reduce((n, l) => n + Number(l.split(" ").pop()), 0);
};

describe("HTTP publishers are scoped to their tenants", () => {
  test("POST /api/publish: a key for tenant A reaches A (and its other tenants), never B (FORBIDDEN, logged without the key)", async () => {
    const a = await p.connect({ sub: "u1", tenantId: A });
    const b = await p.connect({ sub: "u1", tenantId: B });
    const gotA = waitFor(a, "new_booking");
    expect((await post("/api/publish", KEY_A, envTo(A, "u1"))).status).toBe(202);
    await gotA;
    expect((await post("/api/publish", KEY_A, envTo(A2, "u1"))).status).toBe(202);

    raw.length = 0;
    const none = expectNone(b, "new_booking", 500);
    const refused = await post("/api/publish", KEY_A, envTo(B, "u1"));
    expect(refused.status).toBe(403);
    expect((await refused.json()).error.code).toBe("FORBIDDEN");
    await none;
    const line = lines().find((l) => l.msg === "publish refused: tenant not allowed for this key");
    expect(line).toMatchObject({ tenantId: B, route: "POST /api/publish", keyId: expect.any(String) });
    expect(raw.join("\n")).not.toContain(KEY_A);
  });

  test("the all-tenant keys (PUBLISH_API_KEYS `*` and PUBLISH_API_KEY) publish anywhere; an unknown key is 401", async () => {
    expect((await post("/api/publish", KEY_ALL, envTo(B, "u1"))).status).toBe(202);
    expect((await post("/api/publish", TEST_API_KEY, envTo(B, "u1"))).status).toBe(202);
    expect((await post("/api/publish", `${KEY_A}x`, envTo(A, "u1"))).status).toBe(401);
  });

  test("POST /api/notifications: a key for A stores for A, is FORBIDDEN for B (nothing stored)", async () => {
    const body = (tenantId: string) => ({ tenantId, userId: "u9", title: "hello" });
    expect((await post("/api/notifications", KEY_A, body(A))).status).toBe(201);
    raw.length = 0;
    const r = await post("/api/notifications", KEY_A, body(B));
    expect(r.status).toBe(403);
    expect((await r.json()).error.code).toBe("FORBIDDEN");
    expect(lines().find((l) => l.msg === "publish refused: tenant not allowed for this key")).toMatchObject({ tenantId: B });
    const inboxB = await p.fetch("/api/notifications", { token: await p.token({ sub: "u9", tenantId: B }) });
    expect((await inboxB.json()).notifications).toEqual([]);
  });

  test("API-key approval requests: a key for A cannot create one in B", async () => {
    const body = (tenantId: string) => ({ tenantId, contact_id: 7, nom_complet: "Jo Artisan", email: "jo@example.com" });
    for (const path of ["/api/notifications/artisan-requests", "/api/approvals/artisan-requests"]) {
      expect((await post(path, KEY_A, body(A))).status).toBe(201);
      const r = await post(path, KEY_A, body(B));
      expect(r.status).toBe(403);
      expect((await r.json()).error.code).toBe("FORBIDDEN");
    }
  });
});

describe("NATS publishers: the envelope must match its subject", () => {
  test("an envelope for tenant B on tenant A's subject is refused (FORBIDDEN), never delivered, and counted", async () => {
    const b = await p.connect({ sub: "u2", tenantId: B });
    const none = expectNone(b, "new_booking", 800);
    const before = await metric("rt_gateway_publish_refused_total");
    // A publisher NATS lets write to rt.publish.<A>.> smuggles B's tenant into the body.
    const reply = await p.platform.bus.request(subjects.publish(A, "user", "u2"), envTo(B, "u2"));
    expect(reply).toMatchObject({ ok: false, error: { code: "FORBIDDEN" } });
    // Fire-and-forget, and a target that differs from the subject's, are dropped the same way.
    p.platform.bus.publish(subjects.publish(A, "user", "u2"), envTo(B, "u2"));
    expect(await p.platform.bus.request(subjects.publish(B, "user", "someone-else"), envTo(B, "u2"))).toMatchObject({ ok: false, error: { code: "FORBIDDEN" } });
    await none;
    expect((await metric("rt_gateway_publish_refused_total")) - before).toBe(3);
    // The matching envelope still goes through.
    const got = waitFor(b, "new_booking");
    expect(await p.platform.bus.request(subjects.publish(B, "user", "u2"), envTo(B, "u2"))).toMatchObject({ ok: true });
    await got;
  });
});
