CREATE TABLE "chat"."outbox_rows" (
	"id" bigint PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
-- message:new entries written before outbox_rows existed: those still unsent become keys, so the relay publishes them.
INSERT INTO "chat"."outbox_rows" ("id", "created_at") SELECT ("payload"->>'id')::bigint, "created_at" FROM "chat"."outbox" WHERE "kind" = 'row' AND "sent_at" IS NULL;
--> statement-breakpoint
DELETE FROM "chat"."outbox" WHERE "kind" = 'row';
