import pino, { type Logger } from "pino";

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

export function createLogger(opts: { name: string; level?: string; destination?: pino.DestinationStream }): Logger {
  return pino(
    {
      name: opts.name,
      level: opts.level ?? "info",
      redact: { paths: REDACT, censor: "[redacted]" },
      base: { app: opts.name },
    },
    opts.destination,
  );
}
