import { afterAll, beforeAll, expect, test } from "bun:test";
import { clientEvents, serverEvents } from "@rt/contracts";
import { startPlatform, type TestPlatform } from "@rt/testkit";

let p: TestPlatform;
beforeAll(async () => {
  p = await startPlatform();
}, 30_000);
afterAll(async () => {
  await p?.stop();
});

/** Every public route of the platform: the gateway's own and each service's, as OpenAPI paths. */
const ROUTES = [
  "get /health",
  "get /ready",
  "get /metrics",
  "get /api/version",
  "get /api/socket",
  "post /api/publish",
  "get /api/admin/whoami",
  "get /api/admin/gateways",
  "get /api/admin/connections",
  "post /api/admin/disconnect",
  "post /api/admin/leave",
  "get /api/admin/counts",
  "get /api/admin/rooms",
  "get /api/admin/presence",
  "get /api/admin/stats",
  "get /api/admin/tap",
  "get /openapi.json",
  "get /asyncapi.json",
  "get /docs",
  "get /",
  "get /client.js",
  "post /api/chat/rooms",
  "get /api/chat/rooms",
  "get /api/chat/rooms/{roomId}",
  "get /api/chat/rooms/{roomId}/messages",
  "post /api/chat/rooms/{roomId}/members",
  "post /api/chat/rooms/{roomId}/messages",
  "post /shared/chat/rooms/{roomId}/messages",
  "get /api/calls/turn-credentials",
  "get /api/calls/{callId}",
  "post /api/jobs",
  "post /api/jobs/{jobId}/assign",
  "get /api/jobs/{jobId}",
  "post /api/notifications",
  "get /api/notifications",
  "get /api/notifications/unread-count",
  "post /api/notifications/read-all",
  "post /api/notifications/{notificationId}/read",
  "delete /api/notifications/{notificationId}",
  ...["/api/approvals", "/api/notifications"].flatMap((base) => [
    `post ${base}/artisan-requests`,
    `get ${base}/artisan-requests`,
    `post ${base}/artisan-requests/{id}/approve`,
    `post ${base}/artisan-requests/{id}/reject`,
  ]),
  "post /api/payments/webhook",
  "get /api/payments/invoices/{invoiceId}",
];

test("/openapi.json: OpenAPI 3.x with every route, its schemas and the platform's error body", async () => {
  const res = await p.fetch("/openapi.json");
  expect(res.status).toBe(200);
  const doc = await res.json();
  expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
  expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
  expect(doc["x-missing-services"]).toBeUndefined();
  const listed = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
  expect(listed.sort()).toEqual([...ROUTES].sort());

  const send = doc.paths["/api/chat/rooms/{roomId}/messages"].post;
  expect(send.requestBody.content["application/json"].schema.properties.content).toMatchObject({ type: "string" });
  expect(send.parameters).toContainEqual(expect.objectContaining({ in: "path", name: "roomId", required: true }));
  expect(send.responses["201"].content["application/json"].schema.properties.sender).toBeDefined();
  expect(send.responses["403"].content["application/json"].schema).toEqual({ $ref: "#/components/schemas/HttpError" });
  expect(send.security).toEqual([{ bearer: [] }]);
  expect(doc.components.schemas.HttpError.properties.error.properties.code.enum).toContain("FORBIDDEN");
  expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(["apiKey", "bearer", "paymentSignature"]);
  expect(doc.paths["/api/notifications"].get.parameters.map((x: { name: string }) => x.name).sort()).toEqual(["before", "limit", "unread"]);
  // Every $ref points at a component that exists.
  for (const ref of JSON.stringify(doc).match(/"\$ref":"#\/components\/[^"]+"/g) ?? []) {
    const [, kind, name] = ref.slice(8, -1).split("/").slice(1);
    expect(doc.components[kind!]?.[name!], ref).toBeDefined();
  }
});

test("/asyncapi.json lists every client and server event of the contracts", async () => {
  const res = await p.fetch("/asyncapi.json");
  expect(res.status).toBe(200);
  const doc = await res.json();
  expect(doc.asyncapi).toBe("3.0.0");
  const names = (prefix: string) =>
    Object.entries(doc.components.messages as Record<string, { name: string }>)
      .filter(([k]) => k.startsWith(prefix))
      .map(([, m]) => m.name)
      .sort();
  expect(names("client.")).toEqual(Object.keys(clientEvents).sort());
  expect(names("server.")).toEqual(Object.keys(serverEvents).sort());
});

test("/docs links the AsyncAPI and OpenAPI viewers and both documents, loading nothing from elsewhere", async () => {
  const res = await p.fetch("/docs");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/html");
  const html = await res.text();
  for (const href of ["/docs/asyncapi", "/docs/openapi", "/asyncapi.json", "/openapi.json"]) {
    expect(html).toContain(`href="${href}"`);
    expect((await p.fetch(href)).status).toBe(200);
  }
  expect(html).not.toMatch(/<script|https?:\/\/(?!localhost)/);
});
