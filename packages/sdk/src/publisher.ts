import {
  AppError,
  ConnectedCount,
  NotificationInput,
  PaymentData,
  SvcReply,
  SystemNotification,
  busStreams,
  subjects,
  type DeliveryTarget,
  type Notification,
  type PaymentUpdate,
  type SvcContext,
} from "@rt/contracts";
import { createNatsBus, isBusError, type Bus } from "@rt/bus";
import type { z } from "zod";

type ChangeAction = "CREATE" | "UPDATE" | "DELETE";
const TIMEOUT_MS = 5000;

/**
 * Server-side publishing (docs/PROTOCOL.md#server-side-publishing) for one tenant, over the bus: the
 * same path whether the platform runs in one process (in-process bus) or on NATS.
 */
export class Realtime {
  constructor(
    private readonly bus: Bus,
    readonly tenantId: string,
  ) {}

  /** The same publisher for another tenant. */
  tenant(tenantId: string): Realtime {
    return new Realtime(this.bus, tenantId);
  }

  /** Seed 001: `broadcastDataChange('EquipmentItem', 'UPDATE', item, userId)`; the platform adds seq and timestamp. */
  broadcastDataChange(entityType: string, action: ChangeAction, data: unknown, userId?: string | number | null, opts: { version?: number | string } = {}) {
    return this.publish({ kind: "sync", id: entityType }, "data-change", { entityType, action, data, userId: userId ?? null, ...opts });
  }

  /** Seeds 002/004: any event to one user's sockets. */
  emitToUser(userId: string | number, event: string, data: unknown) {
    return this.publish({ kind: "user", id: String(userId) }, event, data);
  }

  /** Seed 002: `broadcastToRole('admin', 'new_booking', {...})`. */
  broadcastToRole(role: string, event: string, data: unknown) {
    return this.publish({ kind: "role", id: role }, event, data);
  }

  /** Seed 004: to every user with role `pdg`. */
  emitToPDG(event: string, data: unknown) {
    return this.broadcastToRole("pdg", event, data);
  }

  /** Seed 002: `payment_update` to payment subscribers (admins: all; others: their own userId). */
  broadcastPaymentUpdate(data: z.input<typeof PaymentData>) {
    const update: PaymentUpdate = { type: "payment_update", data: PaymentData.parse(data), timestamp: new Date().toISOString() };
    return this.publish({ kind: "payments" }, "payment_update", update);
  }

  /** Seed 001: `system-notification` to the whole tenant. */
  broadcastSystemNotification(n: z.input<typeof SystemNotification>) {
    return this.publish({ kind: "tenant" }, "system-notification", SystemNotification.parse(n));
  }

  /** Seeds 000/002: stored by the notifications service, counted, and delivered to all the user's sockets. */
  async sendUserNotification(userId: string | number, notification: z.input<typeof NotificationInput>): Promise<Notification> {
    const data = NotificationInput.parse(notification);
    return (await this.call("notifications", "create", String(userId), data)) as Notification;
  }

  /** Sockets of this tenant connected to any gateway. */
  async getConnectedClientsCount(): Promise<number> {
    return ConnectedCount.parse(await this.call("presence", "count", "sdk", { scope: "tenant" })).connectedClients;
  }

  /** Any event to any target; resolves with the delivery id once a gateway accepted it. */
  async publish(target: DeliveryTarget, event: string, data: unknown): Promise<{ id: string }> {
    return (await this.reply(subjects.publish(this.tenantId, target.kind, target.id), { tenantId: this.tenantId, target, event, data })) as { id: string };
  }

  private call(service: "notifications" | "presence", action: "create" | "count", userId: string, data: unknown) {
    const ctx: SvcContext = { tenantId: this.tenantId, userId, roles: [], name: "sdk", gatewayId: "sdk", traceId: crypto.randomUUID() };
    return this.reply(subjects.svc(service, action), { ctx, data });
  }

  private async reply(subject: string, payload: unknown): Promise<unknown> {
    let raw: unknown;
    try {
      raw = await this.bus.request(subject, payload, { timeoutMs: TIMEOUT_MS });
    } catch (err) {
      const where = subject.split(".").slice(0, 3).join(".");
      // NATS permissions confine a publisher to its tenants' subjects: the server refused this one.
      if (isBusError(err) && err.code === "FORBIDDEN") throw new AppError("FORBIDDEN", `this publisher may not publish on ${where}`);
      if (isBusError(err)) throw new AppError("UNAVAILABLE", `no answer on ${where}`);
      throw err;
    }
    const r = SvcReply.parse(raw);
    if (!r.ok) throw new AppError(r.error.code, r.error.message, { retryAfterMs: r.error.retryAfterMs });
    return r.data;
  }
}

/** A publisher on an existing bus (in-process apps, tests). */
export function realtime(bus: Bus, tenantId: string): Realtime {
  return new Realtime(bus, tenantId);
}

/**
 * A publisher with its own NATS connection, for services outside the platform. Close with
 * `bus.drain()`. `natsUrl` may carry the service's NATS user (`nats://billing:pass@nats:4222`); under
 * the subject permissions of deploy/nats/nats-server.conf give its `inboxPrefix` too. The SDK
 * needs no JetStream rights. A publish outside the user's subjects rejects with FORBIDDEN.
 */
export async function connectRealtime(opts: {
  natsUrl: string;
  tenantId: string;
  name?: string;
  /** The platform's NATS_NAMESPACE, when it runs in one. */
  namespace?: string;
  inboxPrefix?: string;
}): Promise<{ rt: Realtime; bus: Bus }> {
  const bus = await createNatsBus({
    url: opts.natsUrl,
    name: opts.name ?? "rt-sdk",
    streams: busStreams,
    jetstream: false,
    namespace: opts.namespace,
    inboxPrefix: opts.inboxPrefix,
  });
  return { rt: new Realtime(bus, opts.tenantId), bus };
}
