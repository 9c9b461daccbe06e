CREATE SCHEMA "payments";
--> statement-breakpoint
CREATE TABLE "payments"."invoices" (
	"tenant_id" text NOT NULL,
	"invoice_id" text NOT NULL,
	"status" text NOT NULL,
	"amount" double precision NOT NULL,
	"currency" text,
	"user_id" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "invoices_tenant_id_invoice_id_pk" PRIMARY KEY("tenant_id","invoice_id")
);
--> statement-breakpoint
CREATE TABLE "payments"."processed_webhook_events" (
	"tenant_id" text NOT NULL,
	"event_id" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "processed_webhook_events_tenant_id_event_id_pk" PRIMARY KEY("tenant_id","event_id")
);
