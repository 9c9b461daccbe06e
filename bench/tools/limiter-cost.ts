/**
 * Cost of one rate-limit check on the message path (issue 21): the per-gateway memory store against
 * the cluster store over the bus's KV (memory bus; and NATS with NATS_URL). One key, budget large
 * enough that no event is refused: what every admitted event pays. `bun bench/tools/limiter-cost.ts`
 */
import { createMemoryBus, createNatsBus } from "@rt/bus";
import { busStreams } from "@rt/contracts";
import { Limiter, limiterSpecs } from "../../apps/gateway/src/inbound/limiter.ts";
import { MemoryLimiterStore } from "../../apps/gateway/src/inbound/limiter-memory.ts";
import { KvLimiterStore, LIMITS_BUCKET } from "../../apps/gateway/src/inbound/limiter-kv.ts";
import type { LimiterStore } from "../../apps/gateway/src/inbound/limiter.ts";

const N = 200_000;
const specs = limiterSpecs({ RATE_LIMIT_MESSAGE: 10, RATE_LIMIT_TYPING: 30, RATE_LIMIT_DEFAULT: 100_000_000, RATE_LIMIT_HANDSHAKE: 120, TENANT_RATE_MESSAGES: 100_000_000 });

async function measure(name: string, store: LimiterStore) {
  const l = new Limiter(store, specs);
  for (let i = 0; i < 1000; i++) await l.take("default", "t\u0000u");
  const t0 = Bun.nanoseconds();
  for (let i = 0; i < N; i++) {
    await l.take("default", "t\u0000u");
    await l.take("tenant", "t");
  }
  console.log(`${name}: ${((Bun.nanoseconds() - t0) / N / 1000).toFixed(2)} µs per event (user + tenant check, lease in hand)`);
  // A key seen for the first time costs a lease (one read + one compare-and-set on the KV store).
  const K = 2000;
  const t1 = Bun.nanoseconds();
  for (let i = 0; i < K; i++) await l.take("default", `t\u0000cold${i}`);
  console.log(`${name}: ${((Bun.nanoseconds() - t1) / K / 1000).toFixed(2)} µs per check that needs a lease`);
}

await measure("gateway (memory)", new MemoryLimiterStore());
const mem = createMemoryBus({ streams: busStreams });
await measure("cluster (KV of the memory bus)", new KvLimiterStore(await mem.kv(LIMITS_BUCKET, { ttlMs: 60_000 }), new MemoryLimiterStore()));
if (process.env.NATS_URL) {
  const nats = await createNatsBus({ url: process.env.NATS_URL, name: "limiter-cost", namespace: `limcost${process.pid}`, streams: busStreams, dropNamespaceOnDrain: true });
  await measure("cluster (NATS KV)", new KvLimiterStore(await nats.kv(LIMITS_BUCKET, { ttlMs: 60_000 }), new MemoryLimiterStore()));
  await nats.drain();
}
process.exit(0);
