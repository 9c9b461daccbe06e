import { afterEach, beforeEach, expect, test } from "bun:test";
import { Registry } from "prom-client";
import { createMemoryBus, type Bus } from "@rt/bus";
import { AppError, subjects, type SvcContext, busStreams } from "@rt/contracts";
import { serveActions, type ActionHandlers } from "./actions.ts";
import { callService } from "./call.ts";
import { InFlightLimit, OVERLOAD_RETRY_AFTER_MS } from "./inflight.ts";
import { createLogger } from "./log.ts";

const log = createLogger({ name: "test", level: "silent" });
const ctx: SvcContext = { tenantId: "t1", userId: "u1", roles: [], name: "U", gatewayId: "gw", traceId: "trace-1" };
let bus: Bus;
beforeEach(() => {
  bus = createMemoryBus({ streams: busStreams });
});
afterEach(() => bus.drain());

/** The AppError a call was refused with (a success fails the test). */
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("expected a refusal");
    },
    (e: unknown) => e as AppError,
  );

/** Every chat action; only message:send does anything here. */
function chatHandlers(onSend: (input: unknown) => unknown): ActionHandlers<"chat"> {
  const none = () => {
    throw new AppError("NOT_FOUND", "not here");
  };
  return {
    "message:send": (_c, input) => onSend(input),
    "message:edit": none,
    "message:delete": none,
    "room-authorize": none,
    "is-member": () => ({ member: true }),
  };
}

test("the service parses a forwarded payload once, with the contract's schema (defaults applied)", async () => {
  const seen: unknown[] = [];
  serveActions(
    bus,
    "chat",
    chatHandlers((i) => (seen.push(i), { stored: true })),
    log,
    new Registry(),
  );
  expect(await callService(bus, "chat", "message:send", ctx, { roomId: "7", content: "hi" })).toEqual({ stored: true });
  // The string id is coerced and the type defaulted: the handler got the parsed input, not the raw one.
  expect(seen).toEqual([{ roomId: 7, content: "hi", type: "TEXT" }]);
});

test("a bad payload is answered VALIDATION by the service, naming the field, and the handler never runs", async () => {
  let runs = 0;
  serveActions(
    bus,
    "chat",
    chatHandlers(() => runs++),
    log,
    new Registry(),
  );
  const err = await refusal(callService(bus, "chat", "message:send", ctx, { roomId: 1, content: "" }));
  expect(err).toBeInstanceOf(AppError);
  expect(err.code).toBe("VALIDATION");
  expect(err.message).toContain("content");
  expect(runs).toBe(0);
});

test("an action the contract does not name is refused at start", () => {
  const handlers = { ...chatHandlers(() => 1), "message-send": () => 1 } as ActionHandlers<"chat">;
  expect(() => serveActions(bus, "chat", handlers, log, new Registry())).toThrow("chat.message-send is not in the contract");
});

test("callService: no responder is UNAVAILABLE; an internal action's reply is checked against the contract", async () => {
  const down = await refusal(callService(bus, "chat", "is-member", ctx, { roomId: 1, userId: "u2" }, { timeoutMs: 200 }));
  expect([down.code, down.message]).toEqual(["UNAVAILABLE", "chat service unavailable"]);
  bus.respond(subjects.svc("chat", "is-member"), () => ({ ok: true, data: { member: "yes" } }), { queue: "chat" });
  const bad = await refusal(callService(bus, "chat", "is-member", ctx, { roomId: 1, userId: "u2" }));
  expect([bad.code, bad.message]).toEqual(["UNAVAILABLE", "chat service gave no usable answer"]);
});

test("InFlightLimit: past its bound work is refused at once with UNAVAILABLE and retryAfterMs; room frees as work ends", async () => {
  const limit = new InFlightLimit(2, "the test");
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const held = [limit.run(() => gate), limit.run(() => gate)];
  const started = performance.now();
  const refused = await refusal(limit.run(async () => 1));
  expect(performance.now() - started).toBeLessThan(50);
  expect(refused.toBody()).toEqual({ code: "UNAVAILABLE", message: "the test is overloaded, retry shortly", retryAfterMs: OVERLOAD_RETRY_AFTER_MS });
  release();
  await Promise.all(held);
  expect(await limit.run(async () => "ok")).toBe("ok");
  expect(limit.current).toBe(0);
});
