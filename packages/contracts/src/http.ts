import { z } from "zod";
import { ErrorBody } from "./errors.ts";

/** Body of every failed REST call: the error body (docs/PROTOCOL.md#acks-and-errors) inside `error`. */
export const HttpError = z.object({ error: ErrorBody });
export type HttpError = z.infer<typeof HttpError>;

/** `GET /health` of every app. */
export const HealthStatus = z.object({ status: z.literal("ok"), name: z.string() });
/** `GET /ready`: 200 when every dependency answers, 503 otherwise. */
export const ReadyStatus = z.object({ ready: z.boolean() });
/** `GET /api/version`. */
export const VersionInfo = z.object({ version: z.string(), name: z.string() });
/** `GET /api/socket` (seed 001); connectedClients counts every gateway. */
export const SocketStatus = z.object({
  success: z.literal(true),
  message: z.string(),
  available: z.literal(true),
  connectedClients: z.number().int(),
  path: z.literal("/api/socket"),
});
/** `POST /api/publish` answers 202 with the delivery envelope's id. */
export const PublishAccepted = z.object({ id: z.string() });

/**
 * Path every service answers on its `rt.http.<service>` relay (never relayed from outside): its
 * routes' OpenAPI document, which the gateway merges into `/openapi.json`.
 */
export const SERVICE_OPENAPI_PATH = "/openapi.json";
