export * from "./mode.ts";
export * from "./service-harness.ts";
