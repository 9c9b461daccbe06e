import { afterAll, beforeAll, expect, test } from "bun:test";
import { io as ioClient } from "socket.io-client";
import { createLogger, createMetrics } from "@rt/service-kit";
import { emitAck, startWithSecondGateway, waitFor, type ClientSocket, type TestPlatform } from "@rt/testkit";
import { startGateway, type RunningGateway } from "../gateway.ts";

/**
 * Issue 21, cluster-wide limits: one user spread over three gateways of one bus, each socket
 * sending as fast as it can, gets the per-user budget once (at most 1.2×), not once per gateway.
 */
const BUDGET = 100;
let p: TestPlatform;
let gateways: RunningGateway[];
let stop: () => Promise<void>;
beforeAll(async () => {
  const env = { RATE_LIMIT_DEFAULT: String(BUDGET), RATE_LIMIT_SCOPE: "cluster" };
  const s = await startWithSecondGateway({ env });
  const third = await startGateway({ bus: s.p.platform.bus, log: createLogger({ name: "gw3", level: "silent" }), config: s.p.config, metrics: createMetrics("gw3") }, { port: 0 });
  p = s.p;
  gateways = [s.p.platform.gateway, s.second, third];
  stop = async () => {
    await third.stop();
    await s.stop();
  };
}, 120_000);
afterAll(() => stop());

test("a user on 3 gateways sending flat out gets at most 1.2× the per-user budget (and not much less)", async () => {
  const token = await p.token({ sub: "spread-user" });
  const sockets: ClientSocket[] = gateways.map((g) => ioClient(g.url, { auth: { token }, transports: ["websocket"], forceNew: true, reconnection: false }));
  await Promise.all(sockets.map((s) => waitFor(s, "connect")));
  // 3 × 2 × BUDGET pings (class `default`) at once, all three gateways in parallel.
  const acks = await Promise.all(sockets.flatMap((s) => Array.from({ length: 2 * BUDGET }, () => emitAck(s, "ping"))));
  const ok = acks.filter((a) => a.ok).length;
  expect([...new Set(acks.flatMap((a) => (a.ok ? [] : [a.error.code])))]).toEqual(["RATE_LIMITED"]);
  console.log(`admitted ${ok} of ${acks.length} (budget ${BUDGET})`);
  expect(ok).toBeLessThanOrEqual(1.2 * BUDGET);
  // Tokens leased by one gateway are not spent by another: at most 3 leases of 5% are left over.
  expect(ok).toBeGreaterThanOrEqual(0.85 * BUDGET);
  for (const s of sockets) s.disconnect();
}, 60_000);
