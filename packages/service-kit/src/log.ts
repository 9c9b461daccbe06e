import pino, { type Logger } from "pino";
import pretty from "pino-pretty";
import { traceLogFields } from "@rt/tracing";

export type { Logger };

/** Anything that could hold a credential is redacted, wherever it sits in a log object. */
const REDACT = [
  "token",
  "*.token",
  "*.*.token",
  "authorization",
  "*.authorization",
  "*.*.authorization",
  "headers.cookie",
  "*.headers.cookie",
  "secret",
  "*.secret",
  "apiKey",
  "*.apiKey",
  "x-api-key",
  "*.x-api-key",
  "*.*.x-api-key",
  "password",
  "*.password",
];

/**
 * JSON lines, or pino-pretty's readable lines when `pretty` (default: stdout is a terminal and no
 * destination was given), so `bun run dev` reads well and a pipe or a collector still gets JSON.
 */
export function createLogger(opts: { name: string; level?: string; destination?: pino.DestinationStream; pretty?: boolean }): Logger {
  const readable = opts.pretty ?? (!opts.destination && process.stdout.isTTY === true);
  const stream = readable ? pretty({ destination: opts.destination ?? 1, sync: true, colorize: !opts.destination, ignore: "pid,hostname,app" }) : opts.destination;
  return pino(
    {
      name: opts.name,
      level: opts.level ?? "info",
      redact: { paths: REDACT, censor: "[redacted]" },
      base: { app: opts.name },
      // A line written inside a span names its trace and span (nothing with tracing off).
      mixin: traceLogFields,
    },
    stream,
  );
}
