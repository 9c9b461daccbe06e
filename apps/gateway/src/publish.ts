import { PublishEnvelope, describeZodError, AppError } from "@rt/contracts";
import { checkApiKey, deliver } from "@rt/service-kit";
import type { Gateway } from "./socket/types.ts";

/** `POST /api/publish`: the HTTP twin of publishing a delivery envelope on NATS. */
export function publishFromHttp(gw: Pick<Gateway, "bus" | "config">, apiKey: string | undefined, body: unknown) {
  checkApiKey(apiKey, gw.config.PUBLISH_API_KEY);
  const env = PublishEnvelope.safeParse(body);
  if (!env.success) throw new AppError("VALIDATION", describeZodError(env.error));
  return deliver(gw.bus, env.data);
}
