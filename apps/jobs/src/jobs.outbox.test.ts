import { crashAfterCommit } from "@rt/service-kit";
import { afterEach, describe, expect, test } from "bun:test";
import { delivered, eventually, startServices, uniqueTenant } from "@rt/testkit";
import { notificationsService } from "../../notifications/src/service.ts";
import { jobsService } from "./service.ts";

const NEW_JOB = { projectId: 1, jobTypeId: 2, subject: "Outbox Job" };
const as = (tenantId: string, userId: string) => ({ tenantId, userId });

afterEach(() => {
  crashAfterCommit.point = null;
});

describe("jobs outbox", () => {
  test("a crash between the assignment's commit and its publish loses nothing: after a restart the notification is delivered exactly once", async () => {
    const t = uniqueTenant();
    const h = await startServices([jobsService, notificationsService]);
    try {
      const created = await h.http("POST", "/api/jobs", { ctx: as(t, "boss"), body: NEW_JOB });
      crashAfterCommit.point = "jobs";
      const crashed = await h.call("jobs.test:assign-job", as(t, "boss"), { jobId: created.json.id, assigneeId: "dj" });
      expect(crashed.ok).toBe(false);
      crashAfterCommit.point = null;
      // The change was committed before the crash.
      expect((await h.http("GET", `/api/jobs/${created.json.id}`, { ctx: as(t, "dj") })).json.status).toBe("ASSIGNED");

      await h.restartServices();
      await eventually(() => delivered(h, t, "notification:new", "dj").length >= 1, 20_000);
      expect((await h.http("GET", "/api/notifications/unread-count", { ctx: as(t, "dj") })).json).toEqual({ count: 1 });
      // Two more relay rounds: nothing is published again.
      await Bun.sleep(2500);
      expect(delivered(h, t, "notification:new", "dj")).toHaveLength(1);
      expect(delivered(h, t, "job:assigned", "dj")).toHaveLength(1);
    } finally {
      await h.stop();
    }
  }, 60_000);
});
