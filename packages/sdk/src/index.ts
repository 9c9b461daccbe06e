export * from "./publisher.ts";
export * from "./admin.ts";
export * from "./gateways.ts";
