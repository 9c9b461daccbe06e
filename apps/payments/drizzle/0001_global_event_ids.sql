ALTER TABLE "payments"."processed_webhook_events" DROP CONSTRAINT "processed_webhook_events_tenant_id_event_id_pk";--> statement-breakpoint
-- Added by hand: ids recorded under several tenants become one record (the earliest), as the new key requires.
DELETE FROM "payments"."processed_webhook_events" a USING "payments"."processed_webhook_events" b WHERE a."event_id" = b."event_id" AND (a."received_at", a."tenant_id") > (b."received_at", b."tenant_id");--> statement-breakpoint
ALTER TABLE "payments"."processed_webhook_events" ADD PRIMARY KEY ("event_id");--> statement-breakpoint
ALTER TABLE "payments"."invoices" ADD COLUMN "event_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "payments"."processed_webhook_events" ADD COLUMN "invoice_id" text;--> statement-breakpoint
ALTER TABLE "payments"."processed_webhook_events" ADD COLUMN "outcome" text DEFAULT 'applied' NOT NULL;--> statement-breakpoint
CREATE INDEX "invoices_invoice_id_idx" ON "payments"."invoices" USING btree ("invoice_id");