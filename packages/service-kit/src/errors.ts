import { z } from "zod";
import { AppError, describeZodError, type ErrorBody } from "@rt/contracts";
import { isBusError } from "@rt/bus";
import { isDbInvalidInput, isDbUnavailable } from "@rt/db";
import type { Logger } from "./log.ts";

/**
 * The one mapping from any thrown value to an error body (docs/PROTOCOL.md#acks-and-errors). Only AppError and validation
 * messages reach the caller; everything else is logged and answered without detail.
 */
export function toErrorBody(err: unknown, logger?: Logger | (() => Logger), where?: string): ErrorBody {
  if (err instanceof AppError) return err.toBody();
  // A function makes the logger only for what is logged: a pino child with redaction paths is
  // costly, and refusals (AppError) are most errors (a 5,000 events/s flood spent ~15 % of the
  // gateway's CPU making children it never wrote to).
  const log = typeof logger === "function" ? logger() : logger;
  if (err instanceof z.ZodError) return { code: "VALIDATION", message: describeZodError(err) };
  if (isBusError(err)) return { code: "UNAVAILABLE", message: "service unavailable" };
  // Found by the abuse battery's fuzzing: a NUL in a title or in notification data was INTERNAL.
  if (isDbInvalidInput(err)) {
    log?.info({ where, err: String(err).slice(0, 200) }, "value refused by the database");
    return { code: "VALIDATION", message: "a value cannot be stored (NUL character or unpaired surrogate in text)" };
  }
  if (isDbUnavailable(err)) {
    log?.warn({ where, err: String(err) }, "database unavailable");
    return { code: "UNAVAILABLE", message: "database unavailable" };
  }
  log?.error({ where, err }, "unexpected error");
  return { code: "INTERNAL", message: "internal error" };
}
