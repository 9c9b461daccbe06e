CREATE SCHEMA "sync";
--> statement-breakpoint
CREATE TABLE "sync"."changes" (
	"tenant_id" text NOT NULL,
	"entity_type" text NOT NULL,
	"seq" bigint NOT NULL,
	"change" jsonb NOT NULL,
	"stored_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "changes_tenant_id_entity_type_seq_pk" PRIMARY KEY("tenant_id","entity_type","seq")
);
--> statement-breakpoint
CREATE TABLE "sync"."heads" (
	"tenant_id" text NOT NULL,
	"entity_type" text NOT NULL,
	"latest_seq" bigint DEFAULT 0 NOT NULL,
	"pruned_through" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "heads_tenant_id_entity_type_pk" PRIMARY KEY("tenant_id","entity_type")
);
--> statement-breakpoint
CREATE INDEX "changes_stored_at_idx" ON "sync"."changes" USING btree ("stored_at");