-- Reports as the manual says (issue 16 item 5): scope by asset group and minimum severity, the weekday of a
-- Weekly report and the day of month of a Monthly one, a consolidated report over a directory's managed members,
-- and the one send of a Custom report inside its Report Time.
ALTER TABLE "reports" ADD COLUMN "asset_group_id" uuid REFERENCES "asset_groups"("id") ON DELETE SET NULL;--> statement-breakpoint
ALTER TABLE "reports" ADD COLUMN "min_severity" text;--> statement-breakpoint
ALTER TABLE "reports" ADD COLUMN "send_weekday" smallint;--> statement-breakpoint
ALTER TABLE "reports" ADD COLUMN "send_day_of_month" smallint;--> statement-breakpoint
ALTER TABLE "reports" ADD COLUMN "consolidated" boolean DEFAULT false NOT NULL;--> statement-breakpoint
-- When the scheduled send of a Custom report went out; after it only Send Now sends the report again.
ALTER TABLE "reports" ADD COLUMN "scheduled_send_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "reports" ADD CONSTRAINT "reports_min_severity_ck" CHECK ("min_severity" IS NULL OR "min_severity" IN ('critical','high','medium','low'));--> statement-breakpoint
ALTER TABLE "reports" ADD CONSTRAINT "reports_send_weekday_ck" CHECK ("send_weekday" IS NULL OR "send_weekday" BETWEEN 1 AND 7);--> statement-breakpoint
ALTER TABLE "reports" ADD CONSTRAINT "reports_send_day_of_month_ck" CHECK ("send_day_of_month" IS NULL OR "send_day_of_month" BETWEEN 1 AND 31);
