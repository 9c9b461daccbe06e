import { AppError, DataChangeInput, PublishEnvelope, describeZodError, subjects, type DeliveryEnvelope, type SvcReply } from "@rt/contracts";
import type { Bus, Subscription } from "@rt/bus";
import {
  authenticatePublisher,
  callService,
  currentTrace,
  deliverRaw,
  mayPublish,
  newTraceId,
  nowIso,
  publishKeysOf,
  requirePublishTenant,
  toErrorBody,
  type Logger,
  type PlatformConfig,
} from "@rt/service-kit";
import type { GatewayMetrics } from "../metrics.ts";

type Deps = { bus: Bus; config: PlatformConfig; log: Logger; metrics: Pick<GatewayMetrics, "publishRefused"> };

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
    // docs/PROTOCOL.md#ids-and-timestamps: every server event carries a timestamp unless it has createdAt.
    data = { ...data, timestamp: nowIso() };
  }
  return deliverRaw(bus, { ...env, data });
}

/** `POST /api/publish`: the HTTP path, behind X-Api-Key, only into the key's tenants. */
export function publishFromHttp(deps: Deps, apiKey: string | undefined, body: unknown) {
  const publisher = authenticatePublisher(apiKey, publishKeysOf(deps.config));
  const tenantId = PublishEnvelope.shape.tenantId.safeParse((body as { tenantId?: unknown } | null)?.tenantId);
  // A bad tenantId is the envelope's VALIDATION error below; a good one must be the key's.
  if (tenantId.success && !mayPublish(publisher, tenantId.data)) {
    deps.metrics.publishRefused.inc({ reason: "key_tenant" });
    requirePublishTenant(publisher, tenantId.data, deps.log, "POST /api/publish");
  }
  return acceptPublish(deps, body);
}

/**
 * On NATS the subject is the credential: NATS permissions let a publisher write to its tenants'
 * `rt.publish.<tenant>.…` subjects only, so the envelope must say exactly what its subject says.
 */
function checkSubject(deps: Deps, subject: string, raw: unknown): void {
  const env = PublishEnvelope.safeParse(raw);
  if (!env.success) return; // acceptPublish answers VALIDATION
  const { tenantId, target } = env.data;
  if (subject === subjects.publish(tenantId, target.kind, target.id)) return;
  deps.metrics.publishRefused.inc({ reason: "subject_mismatch" });
  deps.log.warn({ subject, tenantId, target }, "publish refused: envelope does not match its subject");
  throw new AppError("FORBIDDEN", "the envelope's tenant and target must match the subject");
}

/** The NATS path: gateways share `rt.publish.>` in one queue group; requests get `{ ok, data: { id } }`. */
export function servePublish(deps: Deps): Subscription {
  return deps.bus.respond(
    subjects.publishAll,
    async (raw, subject): Promise<SvcReply> => {
      try {
        checkSubject(deps, subject, raw);
        const env = await acceptPublish(deps, raw);
        return { ok: true, data: { id: env.id } };
      } catch (err) {
        return { ok: false, error: toErrorBody(err, deps.log, "publish") };
      }
    },
    { queue: "rt-publish" },
  );
}
