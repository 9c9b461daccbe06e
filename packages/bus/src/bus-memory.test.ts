import { createMemoryBus } from "./bus-memory.ts";
import { runBusContract } from "./bus.contract.ts";

// Two handles on one in-process bus stand for two processes on one NATS.
let shared: ReturnType<typeof createMemoryBus> | null = null;
let handles = 0;
runBusContract("memory", async () => {
  if (!shared || handles % 2 === 0) shared = createMemoryBus();
  handles++;
  return shared;
});
