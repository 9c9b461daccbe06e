CREATE SCHEMA "calls";
--> statement-breakpoint
CREATE TYPE "calls"."call_status" AS ENUM('RINGING', 'ONGOING', 'ENDED');--> statement-breakpoint
CREATE TYPE "calls"."call_type" AS ENUM('AUDIO', 'VIDEO');--> statement-breakpoint
CREATE TABLE "calls"."call_participants" (
	"call_id" bigint NOT NULL,
	"tenant_id" text NOT NULL,
	"user_id" text NOT NULL,
	"joined_at" timestamp with time zone DEFAULT now() NOT NULL,
	"left_at" timestamp with time zone,
	CONSTRAINT "call_participants_call_id_user_id_pk" PRIMARY KEY("call_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "calls"."calls" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"room_id" bigint NOT NULL,
	"call_type" "calls"."call_type" NOT NULL,
	"status" "calls"."call_status" DEFAULT 'RINGING' NOT NULL,
	"initiated_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"answered_at" timestamp with time zone,
	"ended_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "calls"."call_participants" ADD CONSTRAINT "call_participants_call_id_calls_id_fk" FOREIGN KEY ("call_id") REFERENCES "calls"."calls"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "calls_tenant_room_idx" ON "calls"."calls" USING btree ("tenant_id","room_id");