import { expect, test } from "bun:test";
import { addServiceSpec, type OpenApiDocument } from "./docs.ts";

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const doc = (schemas: Record<string, unknown>, paths: OpenApiDocument["paths"] = {}): OpenApiDocument => ({
  openapi: "3.1.0",
  info: { title: "t", version: "1" },
  paths,
  components: { schemas },
});
const op = (schema: unknown) => ({ get: { responses: { "200": { content: { "application/json": { schema } } } } } });

test("a service schema named like a different one already merged is kept under <service>.<name>, its refs rewritten", () => {
  const merged = doc({ Room: { type: "object", properties: { id: { type: "number" } } } }, { "/api/chat/rooms": op(ref("Room")) });
  const calls = doc(
    { Room: { type: "object", properties: { callId: { type: "string" } } }, Call: { type: "object", properties: { room: ref("Room") } } },
    { "/api/calls/{id}": op(ref("Call")) },
  );
  const renamed = addServiceSpec(merged, "calls", calls);

  expect(renamed).toEqual({ renamed: [["schemas/Room", "schemas/calls.Room"]], kept: [] });
  expect(merged.components.schemas!.Room).toEqual({ type: "object", properties: { id: { type: "number" } } });
  expect(merged.components.schemas!["calls.Room"]).toEqual({ type: "object", properties: { callId: { type: "string" } } });
  expect(merged.components.schemas!.Call).toEqual({ type: "object", properties: { room: ref("calls.Room") } });
  expect(merged.paths["/api/chat/rooms"]!.get!.responses!["200"]!.content!["application/json"]!.schema).toEqual(ref("Room"));
  expect(merged.paths["/api/calls/{id}"]!.get!.responses!["200"]!.content!["application/json"]!.schema).toEqual(ref("Call"));
});

test("the same schema from two services is kept once, unrenamed", () => {
  const shared = { type: "object", properties: { code: { type: "string" } } };
  const merged = doc({ HttpError: shared });
  expect(addServiceSpec(merged, "jobs", doc({ HttpError: { ...shared } }, { "/api/jobs": op(ref("HttpError")) }))).toEqual({ renamed: [], kept: [] });
  expect(Object.keys(merged.components.schemas!)).toEqual(["HttpError"]);
  expect(merged.paths["/api/jobs"]!.get!.responses!["200"]!.content!["application/json"]!.schema).toEqual(ref("HttpError"));
});

test("a service parameter named like a different one already merged is kept under <service>.<name>, its refs rewritten", () => {
  const merged = doc({});
  merged.components.parameters = { limit: { in: "query", name: "limit", schema: { type: "integer", maximum: 100 } } };
  const jobs = doc({}, { "/api/jobs": { get: { parameters: [{ $ref: "#/components/parameters/limit" }] } } } as unknown as OpenApiDocument["paths"]);
  jobs.components.parameters = { limit: { in: "query", name: "limit", schema: { type: "integer", maximum: 10 } } };
  expect(addServiceSpec(merged, "jobs", jobs)).toEqual({ renamed: [["parameters/limit", "parameters/jobs.limit"]], kept: [] });
  expect(merged.components.parameters).toEqual({
    limit: { in: "query", name: "limit", schema: { type: "integer", maximum: 100 } },
    "jobs.limit": { in: "query", name: "limit", schema: { type: "integer", maximum: 10 } },
  });
  expect(merged.paths["/api/jobs"]!.get!.parameters).toEqual([{ $ref: "#/components/parameters/jobs.limit" } as never]);
});

test("an operation already documented (the gateway's own route answers first) is kept, not overwritten, and reported", () => {
  const mine = op({ type: "string" });
  const merged = doc({}, { "/api/version": mine });
  const renamed = addServiceSpec(merged, "chat", doc({}, { "/api/version": { ...op({ type: "number" }), post: {} } }));
  expect(renamed).toEqual({ renamed: [], kept: ["get /api/version"] });
  expect(merged.paths["/api/version"]!.get).toEqual(mine.get);
  expect(merged.paths["/api/version"]!.post).toEqual({});
});
