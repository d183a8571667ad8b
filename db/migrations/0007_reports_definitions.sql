CREATE TABLE "email_recipients" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"email" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"verification_sent_at" timestamp with time zone,
	"verified_at" timestamp with time zone,
	"unsubscribed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "report_deliveries" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"report_id" uuid NOT NULL,
	"run_id" uuid NOT NULL,
	"period_key" text NOT NULL,
	"recipient_id" uuid NOT NULL,
	"email" text NOT NULL,
	"status" text NOT NULL,
	"claimed_by" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"message_id" text NOT NULL,
	"smtp_response" text,
	"error" text,
	"sent_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "report_runs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"report_id" uuid NOT NULL,
	"period_key" text NOT NULL,
	"period" jsonb NOT NULL,
	"trigger" text NOT NULL,
	"workflow_id" text NOT NULL,
	"subject" text NOT NULL,
	"html" text NOT NULL,
	"text" text NOT NULL,
	"images" jsonb NOT NULL,
	"stats" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "reports" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"name" text NOT NULL,
	"type" text NOT NULL,
	"is_default" boolean DEFAULT false NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"time_zone" text NOT NULL,
	"send_window_start" text NOT NULL,
	"send_window_end" text NOT NULL,
	"period_start" timestamp with time zone,
	"period_end" timestamp with time zone,
	"language" text NOT NULL,
	"items" text[] DEFAULT '{}'::text[] NOT NULL,
	"recipients" text[] DEFAULT '{}'::text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "report_deliveries" ADD CONSTRAINT "report_deliveries_report_id_reports_id_fk" FOREIGN KEY ("report_id") REFERENCES "public"."reports"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_deliveries" ADD CONSTRAINT "report_deliveries_run_id_report_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."report_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_runs" ADD CONSTRAINT "report_runs_report_id_reports_id_fk" FOREIGN KEY ("report_id") REFERENCES "public"."reports"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "email_recipients_email_uq" ON "email_recipients" USING btree ("account_id","email");--> statement-breakpoint
CREATE UNIQUE INDEX "report_deliveries_uq" ON "report_deliveries" USING btree ("report_id","period_key","recipient_id");--> statement-breakpoint
CREATE INDEX "report_deliveries_report_idx" ON "report_deliveries" USING btree ("account_id","report_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "report_runs_period_uq" ON "report_runs" USING btree ("report_id","period_key");--> statement-breakpoint
CREATE INDEX "reports_account_idx" ON "reports" USING btree ("account_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "reports_one_default_uq" ON "reports" USING btree ("account_id") WHERE "reports"."is_default";