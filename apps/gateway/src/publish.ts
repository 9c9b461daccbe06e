import { AppError, DataChangeInput, PublishEnvelope, describeZodError, subjects, type DeliveryEnvelope, type SvcReply } from "@rt/contracts";
import type { Bus, Subscription } from "@rt/bus";
import { callService, checkApiKey, currentTrace, deliverRaw, newTraceId, nowIso, toErrorBody, type Logger, type PlatformConfig } from "@rt/service-kit";

type Deps = { bus: Bus; config: PlatformConfig; log: Logger };

/** Counter key of one tenant's entity type; base64url keeps it a valid KV key. */
const seqKey = (tenantId: string, entityType: string) => Buffer.from(`${tenantId}\u0000${entityType}`).toString("base64url");

/**
 * Accept a publisher's envelope (SDK, NATS or HTTP alike): validate it, give a data-change its
 * per-tenant-and-type `seq` and `timestamp` and have the sync service keep it, and hand it to every
 * gateway.
 */
export async function acceptPublish({ bus }: Deps, raw: unknown): Promise<DeliveryEnvelope> {
  const parsed = PublishEnvelope.safeParse(raw);
  if (!parsed.success) throw new AppError("VALIDATION", describeZodError(parsed.error));
  const env = parsed.data;
  let data = env.data;
  if (env.event === "data-change") {
    if (env.target.kind !== "sync") throw new AppError("VALIDATION", "data-change goes to a sync target (id = entityType)");
    const change = DataChangeInput.safeParse({ entityType: env.target.id, ...(data as object) });
    if (!change.success) throw new AppError("VALIDATION", describeZodError(change.error));
    if (change.data.entityType !== env.target.id) throw new AppError("VALIDATION", "entityType must match the target id");
    const seq = await bus.nextSeq(seqKey(env.tenantId, change.data.entityType));
    const numbered = { ...change.data, seq, timestamp: nowIso() };
    // Kept by sync before anyone sees it: an acknowledged publish is always in `sync:since`. Sync
    // down means the publish is refused (UNAVAILABLE), not delivered unrecorded.
    const ctx = { tenantId: env.tenantId, userId: "platform:publish", roles: [], name: "publish", gatewayId: "publish", traceId: currentTrace() ?? newTraceId() };
    await callService(bus, "sync", "store", ctx, numbered);
    data = numbered;
  } else if (data && typeof data === "object" && !Array.isArray(data) && !("timestamp" in data) && !("createdAt" in data)) {
    // PROTOCOL: every server event carries a timestamp unless it has createdAt.
    data = { ...data, timestamp: nowIso() };
  }
  return deliverRaw(bus, { ...env, data });
}

/** `POST /api/publish`: the HTTP path, behind X-Api-Key. */
export function publishFromHttp(deps: Deps, apiKey: string | undefined, body: unknown) {
  checkApiKey(apiKey, deps.config.PUBLISH_API_KEY);
  return acceptPublish(deps, body);
}

/** The NATS path: gateways share `rt.publish.>` in one queue group; requests get `{ ok, data: { id } }`. */
export function servePublish(deps: Deps): Subscription {
  return deps.bus.respond(
    subjects.publishAll,
    async (raw): Promise<SvcReply> => {
      try {
        const env = await acceptPublish(deps, raw);
        return { ok: true, data: { id: env.id } };
      } catch (err) {
        return { ok: false, error: toErrorBody(err, deps.log, "publish") };
      }
    },
    { queue: "rt-publish" },
  );
}
