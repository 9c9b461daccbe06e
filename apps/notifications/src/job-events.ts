import { DomainEvent, JobAssignedEvent, domainEvents, subjects } from "@rt/contracts";
import type { Subscription } from "@rt/bus";
import type { Logger } from "@rt/service-kit";
import { notify, type NotificationsDeps } from "./notifications.ts";

/**
 * `rt.evt.jobs.assigned` → a stored `job_assigned` notification for the assignee. Delivery is
 * at-least-once; the event id is the notification's unique source, so a redelivery stores nothing.
 */
export function consumeJobEvents(deps: NotificationsDeps & { log: Logger }): Promise<Subscription> {
  const { domain, fact } = domainEvents.jobAssigned;
  return deps.bus.consumeEvents({ durable: "notifications-jobs", subjects: [subjects.evt(domain, fact)] }, async (raw) => {
    const evt = DomainEvent.safeParse(raw);
    const data = evt.success ? JobAssignedEvent.safeParse(evt.data.data) : undefined;
    const userId = data?.success ? data.data.job.assigneeId : null;
    // A malformed event would fail the same way on every redelivery: log it and let it go.
    if (!evt.success || !data?.success || !userId) {
      deps.log.warn({ id: evt.success ? evt.data.id : undefined }, "ignoring malformed jobs.assigned event");
      return;
    }
    const { job, assignedBy } = data.data;
    await notify(
      deps,
      { tenantId: evt.data.tenantId, userId },
      {
        type: "job_assigned",
        priority: "HIGH",
        title: "New job assigned",
        message: `Job #${job.id}: ${job.subject}`,
        data: { jobId: job.id, assignedBy },
        actionUrl: `/jobs/${job.id}`,
      },
      evt.data.id,
    );
  });
}
