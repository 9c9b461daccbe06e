import { describe, expect, test } from "bun:test";
import { Job } from "@rt/contracts";
import { startServices, uniqueTenant, eventually } from "@rt/testkit";
import { notificationsService } from "../../notifications/src/service.ts";
import { jobsService } from "./service.ts";

const NEW_JOB = { projectId: 1, jobTypeId: 2, subject: "Test Job" };
const as = (tenantId: string, userId: string) => ({ tenantId, userId });

// Alone in its file so no other harness of this process answers for the stopped one.
describe("jobs durability", () => {
  test("jobs and their notifications survive a service restart (same Postgres, nats mode)", async () => {
    const t = uniqueTenant();
    const first = await startServices([jobsService, notificationsService], { mode: "nats" });
    let job: Job;
    try {
      const created = await first.http("POST", "/api/jobs", { ctx: as(t, "boss"), body: NEW_JOB });
      job = Job.parse((await first.http("POST", `/api/jobs/${created.json.id}/assign`, { ctx: as(t, "boss"), body: { assigneeId: "dj" } })).json);
      await eventually(async () => (await first.http("GET", "/api/notifications/unread-count", { ctx: as(t, "dj") })).json.count === 1);
    } finally {
      await first.stop();
    }
    const second = await startServices([jobsService, notificationsService], { mode: "nats" });
    try {
      expect((await second.http("GET", `/api/jobs/${job.id}`, { ctx: as(t, "dj") })).json).toEqual(job);
      expect((await second.http("GET", "/api/notifications/unread-count", { ctx: as(t, "dj") })).json).toEqual({ count: 1 });
      // The restarted service carries on from the stored state.
      expect((await second.call("jobs.job:start", as(t, "dj"), { jobId: job.id })).ok).toBe(true);
    } finally {
      await second.stop();
    }
  });
});
