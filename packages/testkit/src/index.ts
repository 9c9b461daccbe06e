export * from "./mode.ts";
export * from "./service-harness.ts";
export * from "./platform.ts";
export * from "./cluster.ts";
export * from "./replies.ts";
export * from "./jwks-server.ts";
export * from "./sse.ts";
export * from "./two-gateways.ts";
