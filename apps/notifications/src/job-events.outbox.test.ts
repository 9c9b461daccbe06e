import { crashAfterCommit } from "@rt/service-kit";
import { afterEach, describe, expect, test } from "bun:test";
import { domainEvents, subjects, type DomainEvent, type JobAssignedEvent } from "@rt/contracts";
import { delivered, eventually, startServices, uniqueTenant } from "@rt/testkit";
import { notificationsService } from "./service.ts";

afterEach(() => {
  crashAfterCommit.point = null;
});

describe("notifications outbox", () => {
  test("a jobs.assigned event redelivered after a crash between the notification's commit and its push still pushes it, once", async () => {
    const t = uniqueTenant();
    const h = await startServices([notificationsService]);
    try {
      const now = new Date().toISOString();
      const job = { id: 7, projectId: 1, jobTypeId: 2, subject: "Crash Job", status: "ASSIGNED", createdBy: "boss", assigneeId: "dj", note: null, createdAt: now, updatedAt: now };
      const evt: DomainEvent<JobAssignedEvent> = { id: crypto.randomUUID(), tenantId: t, ts: Date.now(), data: { job: job as JobAssignedEvent["job"], assignedBy: "boss" } };
      const { domain, fact } = domainEvents.jobAssigned;
      crashAfterCommit.point = "notifications";
      await h.bus.publishEvent(subjects.evt(domain, fact), evt, { msgId: evt.id });
      // The first attempt stored the notification and died before pushing it.
      await eventually(async () => (await h.http("GET", "/api/notifications/unread-count", { ctx: { tenantId: t, userId: "dj" } })).json.count === 1, 10_000);
      crashAfterCommit.point = null;
      // The consumer's redelivery (about 1 s later) finds the notification stored.
      await eventually(() => delivered(h, t, "notification:new", "dj").length >= 1, 15_000);
      await Bun.sleep(2500);
      expect(delivered(h, t, "notification:new", "dj")).toHaveLength(1);
    } finally {
      await h.stop();
    }
  }, 60_000);
});
