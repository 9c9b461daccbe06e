import { describe, expect, test } from "bun:test";
import { ArtisanApproved, ArtisanRejected, ArtisanRequest } from "@rt/contracts";
import { uniqueTenant, delivered, eventually, expectSafeMessage, settle, servicesForFile } from "@rt/testkit";
import { jobsService } from "../../jobs/src/service.ts";
import { notificationsService } from "./service.ts";

const KEY = "test-publish-key-0123456789-abcdef";
const h = servicesForFile([jobsService, notificationsService], { env: { PUBLISH_API_KEY: KEY } });

const user = (tenantId: string, userId = "someone") => ({ tenantId, userId });
const pdg = (tenantId: string, userId = "boss") => ({ tenantId, userId, roles: ["pdg"] });
const REQ = { contact_id: 123, nom_complet: "Test Artisan", email: "test@example.com", type_compte: "Artisan/Promoteur" };
const BASE = "/api/approvals/artisan-requests";

async function newRequest(t: string, body: object = REQ): Promise<ArtisanRequest> {
  const r = await h.http("POST", BASE, { ctx: user(t), body });
  expect(r.status).toBe(201);
  return ArtisanRequest.parse(r.json);
}

function expectError(r: { status: number; json: any }, status: number, code: string) {
  expect({ status: r.status, code: r.json?.error?.code }).toEqual({ status, code });
  expectSafeMessage(r.json.error.message);
}

describe("artisan requests", () => {
  test("any user creates one → 201, every pdg user gets artisan-request:new", async () => {
    const t = uniqueTenant();
    const req = await newRequest(t, { ...REQ, tenantId: "not-this-one" });
    expect(req).toMatchObject({
      contact_id: 123,
      nom_complet: "Test Artisan",
      email: "test@example.com",
      status: "pending",
      details: { type_compte: "Artisan/Promoteur" },
      decidedAt: null,
      decidedBy: null,
    });
    const [d] = await eventually(() => delivered(h, t, "artisan-request:new").length === 1 && delivered(h, t, "artisan-request:new"));
    expect(d!.target).toEqual({ kind: "role", id: "pdg" });
    expect(d!.data).toEqual(req);
    // String contact ids stay strings.
    expect((await newRequest(t, { ...REQ, contact_id: "c-42" })).contact_id).toBe("c-42");
  });

  test("create refusals: no caller 401, bad payload 400, nothing delivered", async () => {
    const t = uniqueTenant();
    expectError(await h.http("POST", BASE, { body: REQ }), 401, "UNAUTHENTICATED");
    expectError(await h.http("POST", BASE, { ctx: user(t), body: { ...REQ, email: "not-an-email" } }), 400, "VALIDATION");
    expectError(await h.http("POST", BASE, { ctx: user(t), body: { contact_id: 1 } }), 400, "VALIDATION");
    expectError(await h.http("POST", BASE, { ctx: user(t), body: "{nope" }), 400, "VALIDATION");
    await settle(h);
    expect(delivered(h, t)).toEqual([]);
  });

  test("the publish API creates one in the tenant it names; a missing or wrong key is 401", async () => {
    const t = uniqueTenant();
    const r = await h.http("POST", BASE, { headers: { "X-Api-Key": KEY }, body: { ...REQ, tenantId: t } });
    expect(r.status).toBe(201);
    expect(ArtisanRequest.parse(r.json).details).toEqual({ type_compte: "Artisan/Promoteur" });
    await eventually(() => delivered(h, t, "artisan-request:new", "pdg").length === 1);
    expectError(await h.http("POST", BASE, { headers: { "X-Api-Key": "wrong-key-wrong-key-wrong" }, body: { ...REQ, tenantId: t } }), 401, "UNAUTHENTICATED");
    expectError(await h.http("POST", BASE, { headers: { "X-Api-Key": KEY }, body: REQ }), 400, "VALIDATION");
    const list = await h.http("GET", `${BASE}?status=pending`, { ctx: pdg(t) });
    expect(list.json.count).toBe(1);
  });

  test("listing is pdg only and per tenant, filtered by status", async () => {
    const t = uniqueTenant();
    const a = await newRequest(t);
    const b = await newRequest(t, { ...REQ, contact_id: 124 });
    await newRequest(uniqueTenant());
    expectError(await h.http("GET", `${BASE}?status=pending`, { ctx: user(t) }), 403, "FORBIDDEN");
    expectError(await h.http("GET", `${BASE}?status=pending`), 401, "UNAUTHENTICATED");
    expectError(await h.http("GET", `${BASE}?status=maybe`, { ctx: pdg(t) }), 400, "VALIDATION");
    expect((await h.http("POST", `${BASE}/${a.id}/approve`, { ctx: pdg(t) })).status).toBe(200);

    const pending = await h.http("GET", `${BASE}?status=pending`, { ctx: pdg(t) });
    expect(pending.status).toBe(200);
    expect(pending.json).toEqual({ requests: [b], count: 1 });
    const all = await h.http("GET", BASE, { ctx: pdg(t) });
    expect(all.json.requests.map((r: ArtisanRequest) => [r.id, r.status])).toEqual([
      [b.id, "pending"],
      [a.id, "approved"],
    ]);
  });

  test("approve and reject: pdg only, announced to the pdg role, deciding twice is 409", async () => {
    const t = uniqueTenant();
    const a = await newRequest(t);
    const b = await newRequest(t, { ...REQ, contact_id: "c-9", nom_complet: "Other", email: "o@example.com" });
    expectError(await h.http("POST", `${BASE}/${a.id}/approve`, { ctx: user(t) }), 403, "FORBIDDEN");
    expectError(await h.http("POST", `${BASE}/${a.id}/reject`, { ctx: user(t) }), 403, "FORBIDDEN");
    expectError(await h.http("POST", `${BASE}/${a.id}/approve`, { ctx: pdg(uniqueTenant()) }), 404, "NOT_FOUND");
    expectError(await h.http("POST", `${BASE}/987654321/approve`, { ctx: pdg(t) }), 404, "NOT_FOUND");
    expectError(await h.http("POST", `${BASE}/abc/approve`, { ctx: pdg(t) }), 400, "VALIDATION");

    const approved = await h.http("POST", `${BASE}/${a.id}/approve`, { ctx: pdg(t) });
    expect(approved.status).toBe(200);
    expect(ArtisanRequest.parse(approved.json)).toMatchObject({ status: "approved", decidedBy: "boss" });
    expect(approved.json.decidedAt).not.toBeNull();
    expectError(await h.http("POST", `${BASE}/${a.id}/approve`, { ctx: pdg(t) }), 409, "CONFLICT");
    expectError(await h.http("POST", `${BASE}/${a.id}/reject`, { ctx: pdg(t) }), 409, "CONFLICT");

    // The seed's own path works too.
    const rejected = await h.http("POST", `/api/notifications/artisan-requests/${b.id}/reject`, { ctx: pdg(t, "boss2") });
    expect(rejected.status).toBe(200);
    expect(rejected.json).toMatchObject({ status: "rejected", decidedBy: "boss2" });

    const [ap] = await eventually(() => delivered(h, t, "artisan-request:approved").length === 1 && delivered(h, t, "artisan-request:approved"));
    expect(ap!.target).toEqual({ kind: "role", id: "pdg" });
    expect(ArtisanApproved.strict().parse(ap!.data)).toMatchObject({ contact_id: 123, nom_complet: "Test Artisan", email: "test@example.com" });
    const [rj] = await eventually(() => delivered(h, t, "artisan-request:rejected").length === 1 && delivered(h, t, "artisan-request:rejected"));
    expect(ArtisanRejected.strict().parse(rj!.data)).toMatchObject({ contact_id: "c-9" });
    await settle(h);
    expect(delivered(h, t, "artisan-request:approved")).toHaveLength(1);
  });

  test("concurrent approve and reject: one wins, the other is 409", async () => {
    const t = uniqueTenant();
    const a = await newRequest(t);
    const rs = await Promise.all([
      h.http("POST", `${BASE}/${a.id}/approve`, { ctx: pdg(t, "p1") }),
      h.http("POST", `${BASE}/${a.id}/reject`, { ctx: pdg(t, "p2") }),
      h.http("POST", `/api/notifications/artisan-requests/${a.id}/approve`, { ctx: pdg(t, "p3") }),
    ]);
    expect(rs.map((r) => r.status).sort()).toEqual([200, 409, 409]);
    await settle(h);
    expect(delivered(h, t, "artisan-request:approved").length + delivered(h, t, "artisan-request:rejected").length).toBe(1);
  });
});
