import { expect, test } from "bun:test";
import { busStreams } from "@rt/contracts";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { createNatsBus } from "./bus-nats.ts";
import { busMetrics } from "./metrics.ts";

const url = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const failures = async () => (await busMetrics.logPublishFailures.get()).values[0]?.value ?? 0;

// Issue 15 item 3: a delivery the log (RT_DELIVER) cannot store was gone without a trace.
test("a delivery the log cannot store is published again until it is stored; one never stored is counted and reported", async () => {
  const ns = `t${crypto.randomUUID().replace(/-/g, "").slice(0, 10)}`;
  const errors: string[] = [];
  const bus = await createNatsBus({
    url,
    name: `bus-log-${ns}`,
    streams: busStreams,
    namespace: ns,
    dropNamespaceOnDrain: true,
    logRetryMs: [200, 400, 800],
    onError: (e) => void errors.push(String(e)),
  });
  const nc = await connect({ servers: url });
  const jsm = await jetstreamManager(nc);
  const logName = `RT_DELIVER_${ns}`;
  const config = (await jsm.streams.info(logName)).config;
  try {
    // The stream is gone for 500 ms (lost by the server, being recreated): the delivery waits.
    await jsm.streams.delete(logName);
    bus.publish(`rt.deliver.${ns}.user.u1`, { n: 1 });
    await Bun.sleep(500);
    await jsm.streams.add(config);
    await bus.flush();
    const stored = await bus.readLog("rt.deliver.>", 0, Number.MAX_SAFE_INTEGER);
    expect(stored?.map((e) => e.data)).toEqual([{ n: 1 }]);

    // Gone for good: after the last retry the loss is counted and reported, not silent.
    const before = await failures();
    await jsm.streams.delete(logName);
    const t0 = Date.now();
    bus.publish(`rt.deliver.${ns}.user.u1`, { n: 2 });
    await bus.flush();
    console.log(`log store: retried until stored; unstorable reported after ${Date.now() - t0} ms`);
    expect((await failures()) - before).toBe(1);
    expect(errors.some((e) => e.includes("delivery log did not store"))).toBe(true);
    await jsm.streams.add(config);
  } finally {
    await bus.drain();
    await nc.close();
  }
}, 30_000);
