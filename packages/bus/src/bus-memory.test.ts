import { busStreams } from "@rt/contracts";
import { createMemoryNetwork } from "./bus-memory.ts";
import { runBusContract } from "./bus.contract.ts";

// Connections on one in-process network stand for processes on one NATS server.
const networks = new Map<string, ReturnType<typeof createMemoryNetwork>>();
runBusContract("memory", async (prefix, _owner, events) => {
  let net = networks.get(prefix);
  if (!net) networks.set(prefix, (net = createMemoryNetwork({ events, streams: busStreams })));
  return net.connect();
});
