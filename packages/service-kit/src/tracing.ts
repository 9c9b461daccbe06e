import { startTracing, type Tracing } from "@rt/tracing";
import type { PlatformConfig } from "./config.ts";

/** Tracing as the OTEL_* variables say: undefined (off, every hook a single branch) unless `OTEL_TRACES_EXPORTER=otlp`. */
export function tracingFromConfig(config: PlatformConfig, process: string): Tracing | undefined {
  if (config.OTEL_TRACES_EXPORTER !== "otlp") return undefined;
  const url = config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? `${config.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/$/, "")}/v1/traces`;
  const ratio = config.OTEL_TRACES_SAMPLER === "parentbased_traceidratio" ? config.OTEL_TRACES_SAMPLER_ARG : 1;
  return startTracing({ serviceName: config.OTEL_SERVICE_NAME ?? process, otlp: { url, headers: config.OTEL_EXPORTER_OTLP_HEADERS }, ratio });
}
