import { z } from "zod";
import { EntityId, UserId } from "../ids.ts";
import { Iso } from "./common.ts";

export const JobStatus = z.enum(["NEW", "ASSIGNED", "IN_PROGRESS", "COMPLETED"]);
export type JobStatus = z.infer<typeof JobStatus>;

export const JobCreate = z.object({
  projectId: EntityId,
  jobTypeId: EntityId,
  subject: z.string().min(1).max(500),
});
export type JobCreate = z.infer<typeof JobCreate>;
export const JobAssignBody = z.object({ assigneeId: UserId });
export const JobAssign = JobAssignBody.extend({ jobId: EntityId });
export type JobAssign = z.infer<typeof JobAssign>;
export const JobStart = z.object({ jobId: EntityId });
export type JobStart = z.infer<typeof JobStart>;
export const JobComplete = z.object({ jobId: EntityId, note: z.string().max(5000).optional() });
export type JobComplete = z.infer<typeof JobComplete>;

export const Job = z.object({
  id: z.number(),
  projectId: z.number(),
  jobTypeId: z.number(),
  subject: z.string(),
  status: JobStatus,
  createdBy: z.string(),
  assigneeId: z.string().nullable(),
  note: z.string().nullable(),
  createdAt: Iso,
  updatedAt: Iso,
});
export type Job = z.infer<typeof Job>;

export const JobAssigned = z.object({ jobId: z.number(), job: Job, assignedBy: z.string(), timestamp: Iso });
export const JobTransition = z.object({ jobId: z.number(), job: Job, by: z.string(), timestamp: Iso });
export const JobStatusChanged = z.object({ jobId: z.number(), from: JobStatus, to: JobStatus, by: z.string(), timestamp: Iso });

/** `data` of the domain event `rt.evt.jobs.assigned` (the notifications service stores a notification from it). */
export const JobAssignedEvent = z.object({ job: Job, assignedBy: z.string() });
export type JobAssignedEvent = z.infer<typeof JobAssignedEvent>;
