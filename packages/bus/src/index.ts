export * from "./bus.ts";
export * from "./errors.ts";
export * from "./match.ts";
export * from "./bus-memory.ts";
export * from "./bus-nats.ts";
export * from "./metrics.ts";
