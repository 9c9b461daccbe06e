export * from "./spans.ts";
export { startTracing, type Tracing, type TracingOptions } from "./setup.ts";
