CREATE SCHEMA "jobs";
--> statement-breakpoint
CREATE TYPE "jobs"."job_status" AS ENUM('NEW', 'ASSIGNED', 'IN_PROGRESS', 'COMPLETED');--> statement-breakpoint
CREATE TABLE "jobs"."job_status_history" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"job_id" bigint NOT NULL,
	"tenant_id" text NOT NULL,
	"from" "jobs"."job_status",
	"to" "jobs"."job_status" NOT NULL,
	"by" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "jobs"."jobs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"project_id" bigint NOT NULL,
	"job_type_id" bigint NOT NULL,
	"subject" text NOT NULL,
	"created_by" text NOT NULL,
	"assignee_id" text,
	"status" "jobs"."job_status" DEFAULT 'NEW' NOT NULL,
	"note" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "jobs"."job_status_history" ADD CONSTRAINT "job_status_history_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "jobs"."jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "job_status_history_job_idx" ON "jobs"."job_status_history" USING btree ("tenant_id","job_id");--> statement-breakpoint
CREATE INDEX "jobs_tenant_assignee_idx" ON "jobs"."jobs" USING btree ("tenant_id","assignee_id");