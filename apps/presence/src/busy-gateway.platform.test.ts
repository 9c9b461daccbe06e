import { afterAll, beforeAll, expect, test } from "bun:test";
import { io as ioClient } from "socket.io-client";
import { GATEWAY_TIMEOUT_MS } from "@rt/contracts";
import { dropNamespace, emitAck, recorder, startCluster, startPlatform, testMode, testNamespace, waitFor, TEST_NATS_URL, type TestPlatform } from "@rt/testkit";

/**
 * A gateway process too busy to send its heartbeats (a reconnect storm, a long GC; here SIGSTOP)
 * is not a dead one: presence used to drop it after GATEWAY_TIMEOUT_MS and announce every user of
 * it offline, then online again at its next beat — N² deliveries for a tenant of N. A gateway that
 * is really gone (SIGKILL: NATS has no subscriber of it left) still takes its users offline at once.
 * A gateway in another process needs NATS: the in-process bus cannot span processes.
 */
const namespace = testNamespace();
let p: TestPlatform;
beforeAll(async () => {
  p = await startPlatform({ inProcess: true, namespace });
}, 60_000);
afterAll(async () => {
  await p.stop();
  if (p.mode !== "embedded") await dropNamespace(TEST_NATS_URL, namespace);
});

if (testMode() !== "embedded") {
  test(`a gateway process stopped for ${(GATEWAY_TIMEOUT_MS + 2500) / 1000} s: nobody announced offline; SIGKILLed: its user offline within 2 s of the timeout`, async () => {
    const cluster = await startCluster({ gateways: 1, replicas: 0, namespace, env: { LOG_LEVEL: "warn" }, dropNamespace: false });
    try {
      const watcher = await p.connect({ sub: "busy-watch" });
      const heard = recorder(watcher);
      const far = ioClient(cluster.gatewayUrls[0]!, { auth: { token: await p.token({ sub: "busy-far" }) }, transports: ["websocket"], forceNew: true, reconnection: false });
      await waitFor(watcher, "user:online", { filter: (d) => d.userId === "busy-far", timeoutMs: 15_000 });

      const gw = cluster.gateways[0]!;
      process.kill(gw.pid, "SIGSTOP");
      await Bun.sleep(GATEWAY_TIMEOUT_MS + 2500);
      process.kill(gw.pid, "SIGCONT");
      await Bun.sleep(1500);
      console.log(`busy gateway (${p.mode}): user:offline heard ${heard.of("user:offline").length} after a ${GATEWAY_TIMEOUT_MS + 2500} ms stop`);
      expect(heard.of("user:offline")).toEqual([]);
      const list = await emitAck(watcher, "presence:list");
      expect(list.ok && list.data.users.map((u: { userId: string }) => u.userId).sort()).toEqual(["busy-far", "busy-watch"]);

      const offline = waitFor(watcher, "user:offline", { filter: (d) => d.userId === "busy-far", timeoutMs: 15_000 });
      await gw.kill("SIGKILL");
      const killed = Date.now();
      await offline;
      console.log(`busy gateway (${p.mode}): SIGKILLed gateway's user offline ${Date.now() - killed} ms after the kill`);
      expect(Date.now() - killed).toBeLessThan(GATEWAY_TIMEOUT_MS + 2000);
      far.close();
    } finally {
      await cluster.stop();
    }
  }, 120_000);
}
