import { expect, test } from "bun:test";
import { PresenceView } from "./presence.ts";

const ts = "2026-12-01T00:00:00.000Z";

test("list, then per-user events and batches alike; a batch applied twice changes nothing", () => {
  const v = new PresenceView();
  v.reset([{ userId: "a" }, { userId: "b" }]);
  v.apply("user:online", { userId: "c", socketId: "s", timestamp: ts });
  v.apply("user:offline", { userId: "a", timestamp: ts });
  const batch = { online: ["d"], offline: ["b"], timestamp: ts };
  v.apply("presence:batch", batch);
  v.apply("presence:batch", batch);
  expect([...v.users].sort()).toEqual(["c", "d"]);
  v.reset([{ userId: "z" }]);
  expect([...v.users]).toEqual(["z"]);
});
