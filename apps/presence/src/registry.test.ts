import { describe, expect, test } from "bun:test";
import { PresenceRegistry } from "./registry.ts";

const sock = (socketId: string, userId = "u1", tenantId = "t1") => ({ tenantId, userId, name: userId, socketId, since: new Date().toISOString(), connId: crypto.randomUUID() });

describe("PresenceRegistry", () => {
  test("a user is online from the first socket to the last, across gateways", () => {
    const r = new PresenceRegistry();
    expect(r.add("g1", sock("a")).map((c) => c.kind)).toEqual(["online"]);
    expect(r.add("g2", sock("b"))).toEqual([]);
    expect(r.remove("g1", "a")).toEqual([]);
    expect(r.remove("g2", "b").map((c) => c.kind)).toEqual(["offline"]);
    expect(r.remove("g2", "b")).toEqual([]);
  });
  test("same user id in two tenants are two users", () => {
    const r = new PresenceRegistry();
    r.add("g1", sock("a", "u1", "t1"));
    expect(r.add("g1", sock("b", "u1", "t2")).map((c) => c.kind)).toEqual(["online"]);
    expect(r.list("t1").map((u) => u.userId)).toEqual(["u1"]);
    expect(r.tenantClients("t2")).toBe(1);
  });
  test("a silent gateway is swept and its users go offline", () => {
    const r = new PresenceRegistry();
    r.add("g1", sock("a"), 0);
    r.beat("g1", 0, 1, 0);
    expect(r.sweep(3500, 1000)).toEqual([]);
    expect(r.sweep(3500, 5000).map((c) => c.kind)).toEqual(["offline"]);
    expect(r.list("t1")).toEqual([]);
  });
  test("digest mismatch is detected and a snapshot reconciles", () => {
    const r = new PresenceRegistry();
    r.add("g1", sock("a"));
    const other = new PresenceRegistry();
    other.add("g1", sock("b", "u2"));
    expect(r.beat("g1", 12345, 1)).toBe(false);
    const changes = r.replace("g1", [sock("b", "u2")]);
    expect(changes.map((c) => `${c.kind}:${c.socket.userId}`).sort()).toEqual(["offline:u1", "online:u2"]);
  });
});
