import { and, eq, isNull } from "drizzle-orm";
import {
  AppError,
  domainEvents,
  subjects,
  type DomainEvent,
  type Job,
  type JobAssign,
  type JobAssignedEvent,
  type JobComplete,
  type JobCreate,
  type JobStatus,
  type ServerEventName,
  type ServerEventPayload,
  type SvcContext,
  toUser,
} from "@rt/contracts";
import type { Database } from "@rt/db";
import { nowIso, outboxDelivery, outboxEvent, type Outbox, type OutboxMessage } from "@rt/service-kit";
import { jobStatusHistory, jobs, type JobRow } from "./schema.ts";

export interface JobsDeps {
  db: Database;
  /** Every event and delivery of a change goes out through it, stored in the change's transaction. */
  outbox: Outbox;
}

/** Who is acting: always the verified caller, never ids from a payload. */
export type Caller = Pick<SvcContext, "tenantId" | "userId">;

/** NEW → ASSIGNED → IN_PROGRESS → COMPLETED; re-assignment is allowed until work starts. */
const MOVES = {
  assign: { from: ["NEW", "ASSIGNED"], to: "ASSIGNED" },
  start: { from: ["ASSIGNED"], to: "IN_PROGRESS" },
  complete: { from: ["IN_PROGRESS"], to: "COMPLETED" },
} as const satisfies Record<string, { from: readonly JobStatus[]; to: JobStatus }>;
type Move = keyof typeof MOVES;

export function toJob(r: JobRow): Job {
  return {
    id: r.id,
    projectId: r.projectId,
    jobTypeId: r.jobTypeId,
    subject: r.subject,
    status: r.status,
    createdBy: r.createdBy,
    assigneeId: r.assigneeId,
    note: r.note,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

export async function createJob({ db }: JobsDeps, caller: Caller, input: JobCreate): Promise<Job> {
  const row = await db.db.transaction(async (tx) => {
    const [job] = await tx
      .insert(jobs)
      .values({ tenantId: caller.tenantId, projectId: input.projectId, jobTypeId: input.jobTypeId, subject: input.subject, createdBy: caller.userId })
      .returning();
    await tx.insert(jobStatusHistory).values({ jobId: job!.id, tenantId: caller.tenantId, from: null, to: "NEW", by: caller.userId });
    return job!;
  });
  return toJob(row);
}

/** A job of the caller's tenant; other tenants' jobs do not exist for them. */
async function load(db: Database, caller: Caller, jobId: number): Promise<JobRow> {
  const [row] = await db.db
    .select()
    .from(jobs)
    .where(and(eq(jobs.id, jobId), eq(jobs.tenantId, caller.tenantId)));
  if (!row) throw new AppError("NOT_FOUND", "job not found");
  return row;
}

/** Visible to its creator and its assignee. */
export async function getJob({ db }: JobsDeps, caller: Caller, jobId: number): Promise<Job> {
  const row = await load(db, caller, jobId);
  if (row.createdBy !== caller.userId && row.assigneeId !== caller.userId) throw new AppError("FORBIDDEN", "not your job");
  return toJob(row);
}

/**
 * Apply a move to the job as it was read. The UPDATE is conditional on the status and assignee
 * still being what we read, so of two concurrent moves only one wins; the other is CONFLICT.
 * `announce` names what the change sends; it is stored in the same transaction (outbox).
 */
async function move(
  { outbox }: JobsDeps,
  caller: Caller,
  seen: JobRow,
  m: Move,
  set: { assigneeId?: string; note?: string | null },
  announce: (job: Job, from: JobStatus) => OutboxMessage[],
): Promise<Job> {
  const { from, to } = MOVES[m];
  if (!(from as readonly JobStatus[]).includes(seen.status)) throw new AppError("CONFLICT", `cannot ${m} a job that is ${seen.status}`);
  return outbox.transaction(async (tx) => {
    const [row] = await tx
      .update(jobs)
      .set({ ...set, status: to, updatedAt: new Date() })
      .where(
        and(
          eq(jobs.id, seen.id),
          eq(jobs.tenantId, caller.tenantId),
          eq(jobs.status, seen.status),
          seen.assigneeId === null ? isNull(jobs.assigneeId) : eq(jobs.assigneeId, seen.assigneeId),
        ),
      )
      .returning();
    if (!row) throw new AppError("CONFLICT", "the job changed meanwhile");
    await tx.insert(jobStatusHistory).values({ jobId: row.id, tenantId: caller.tenantId, from: seen.status, to, by: caller.userId });
    const job = toJob(row);
    return { result: job, messages: announce(job, seen.status) };
  });
}

/** The people a job's changes are sent to: its assignee and its creator, once each. */
function participants(job: Job): string[] {
  return [...new Set([job.assigneeId, job.createdBy].filter((u): u is string => !!u))];
}

/** One event to all of a user's sockets. */
const tell = <E extends ServerEventName>(tenantId: string, userId: string, event: E, data: ServerEventPayload<E>) =>
  outboxDelivery({ tenantId, target: toUser(userId), event, data });

/** Only the creator assigns (and re-assigns until work starts). */
export async function assignJob(deps: JobsDeps, caller: Caller, input: JobAssign): Promise<Job> {
  const seen = await load(deps.db, caller, input.jobId);
  if (seen.createdBy !== caller.userId) throw new AppError("FORBIDDEN", "only the job's creator can assign it");
  // Already theirs: a retry whose first reply was lost (e.g. NATS went down after the commit) is
  // answered with the job as it is, and announces nothing a second time.
  if (seen.status === "ASSIGNED" && seen.assigneeId === input.assigneeId) return toJob(seen);
  return move(deps, caller, seen, "assign", { assigneeId: input.assigneeId }, (job, from) => {
    // The event is the notifications service's cue to store a notification for the assignee.
    const { domain, fact } = domainEvents.jobAssigned;
    const evt: DomainEvent<JobAssignedEvent> = { id: crypto.randomUUID(), tenantId: caller.tenantId, ts: Date.now(), data: { job, assignedBy: caller.userId } };
    const timestamp = nowIso();
    return [
      outboxEvent(subjects.evt(domain, fact), evt),
      tell(caller.tenantId, input.assigneeId, "job:assigned", { jobId: job.id, job, assignedBy: caller.userId, timestamp }),
      ...participants(job).map((u) => tell(caller.tenantId, u, "job:status-changed", { jobId: job.id, from, to: job.status, by: caller.userId, timestamp })),
    ];
  });
}

/** start / complete: the assignee only; the assignee and the creator hear about it. */
async function work(deps: JobsDeps, caller: Caller, jobId: number, m: "start" | "complete", event: "job:started" | "job:completed", note?: string): Promise<Job> {
  const seen = await load(deps.db, caller, jobId);
  if (seen.assigneeId !== caller.userId) throw new AppError("FORBIDDEN", "only the assignee can do this");
  return move(deps, caller, seen, m, note === undefined ? {} : { note }, (job, from) => {
    const timestamp = nowIso();
    return participants(job).flatMap((u) => [
      tell(caller.tenantId, u, event, { jobId: job.id, job, by: caller.userId, timestamp }),
      tell(caller.tenantId, u, "job:status-changed", { jobId: job.id, from, to: job.status, by: caller.userId, timestamp }),
    ]);
  });
}

export const startJob = (deps: JobsDeps, caller: Caller, jobId: number) => work(deps, caller, jobId, "start", "job:started");
export const completeJob = (deps: JobsDeps, caller: Caller, input: JobComplete) => work(deps, caller, input.jobId, "complete", "job:completed", input.note);
