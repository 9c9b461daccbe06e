import { busStreams } from "@rt/contracts";
import { createNatsBus } from "./bus-nats.ts";
import { runBusContract } from "./bus.contract.ts";

const url = process.env.NATS_URL ?? "nats://127.0.0.1:4222";

// Real NATS: the test fails (not skips) when the server is unreachable.
runBusContract("nats", (prefix, owner, events) =>
  createNatsBus({ url, name: `bus-test-${prefix}`, streams: busStreams, namespace: prefix, dropNamespaceOnDrain: owner, events, batchRequests: true }),
);
