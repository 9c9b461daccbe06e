CREATE SCHEMA "chat";
--> statement-breakpoint
CREATE TABLE "chat"."members" (
	"tenant_id" text NOT NULL,
	"room_id" integer NOT NULL,
	"user_id" text NOT NULL,
	"joined_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "members_room_id_user_id_pk" PRIMARY KEY("room_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "chat"."messages" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"room_id" integer NOT NULL,
	"sender_id" text NOT NULL,
	"sender_name" text NOT NULL,
	"content" text NOT NULL,
	"type" text DEFAULT 'TEXT' NOT NULL,
	"file_url" text,
	"client_msg_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"edited" boolean DEFAULT false NOT NULL,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "chat"."rooms" (
	"id" serial PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"name" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "chat"."members" ADD CONSTRAINT "members_room_id_rooms_id_fk" FOREIGN KEY ("room_id") REFERENCES "chat"."rooms"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "chat"."messages" ADD CONSTRAINT "messages_room_id_rooms_id_fk" FOREIGN KEY ("room_id") REFERENCES "chat"."rooms"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "members_tenant_user_idx" ON "chat"."members" USING btree ("tenant_id","user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "messages_client_msg_uq" ON "chat"."messages" USING btree ("tenant_id","room_id","sender_id","client_msg_id") WHERE "chat"."messages"."client_msg_id" is not null;--> statement-breakpoint
CREATE INDEX "messages_history_idx" ON "chat"."messages" USING btree ("tenant_id","room_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "rooms_tenant_idx" ON "chat"."rooms" USING btree ("tenant_id","id");