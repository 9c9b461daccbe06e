import { expect, test } from "bun:test";
import { createMemoryBus } from "@rt/bus";
import { subjects, type Heartbeat, busStreams } from "@rt/contracts";
import { AdminApi } from "./admin.ts";

const beat = (gatewayId: string): Heartbeat => ({ gatewayId, socketCount: 1, userSocketCount: 1, digest: 0, ts: Date.now() });
const conn = (gatewayId: string, socketId: string, since: string) => ({ socketId, gatewayId, tenantId: "t", userId: "u", name: "U", transport: "websocket", since, rooms: [] });

test("asks every gateway of the heartbeats, merges their answers and names the silent ones in `missing`", async () => {
  const bus = createMemoryBus({ streams: busStreams });
  const api = new AdminApi(bus, { actor: "test", timeoutMs: 300 });
  const asked: unknown[] = [];
  // gw-a and gw-b answer; gw-dead beats but answers nothing.
  for (const [g, since] of [
    ["gw-a", "2026-01-01T00:00:02Z"],
    ["gw-b", "2026-01-01T00:00:01Z"],
  ] as const) {
    bus.respond(subjects.gwAdmin(g, "list"), (req) => (asked.push(req), { ok: true, data: { connections: [conn(g, `${g}-s`, since)], truncated: false } }), { queue: g });
    bus.respond(subjects.gwAdmin(g, "disconnect"), () => ({ ok: false, error: { code: "VALIDATION", message: "nope" } }), { queue: g });
  }
  for (const g of ["gw-a", "gw-b", "gw-dead"]) bus.publish(subjects.heartbeat(g), beat(g));

  const r = await api.listConnections({ tenantId: "t" });
  expect(r.gateways).toEqual(["gw-a", "gw-b"]);
  expect(r.missing).toEqual(["gw-dead"]);
  expect(r.connections.map((c) => c.socketId)).toEqual(["gw-b-s", "gw-a-s"]); // oldest first
  expect(asked[0]).toEqual({ actor: "test", input: { tenantId: "t", limit: 500 } });
  // A typed refusal of a gateway is the caller's error; a bad input never leaves the caller.
  await expect(api.disconnect({ socketId: "x", reason: "r" })).rejects.toMatchObject({ code: "VALIDATION", message: "nope" });
  await expect(api.disconnect({ reason: "r" } as never)).rejects.toMatchObject({ code: "VALIDATION" });
  expect((await api.gateways()).map((g) => [g.gatewayId, g.healthy])).toEqual([
    ["gw-a", true],
    ["gw-b", true],
    ["gw-dead", true],
  ]);
  api.close();
});
