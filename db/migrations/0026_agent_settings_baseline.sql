-- Baseline checks through OpenSCAP (issue 16): a risk keeps the rule's title, what the check saw and how to fix it.
ALTER TABLE "baseline_risks" ADD COLUMN "title" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "baseline_risks" ADD COLUMN "evidence" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "baseline_risks" ADD COLUMN "remediation" text DEFAULT '' NOT NULL;--> statement-breakpoint
-- 'api' (posted by a scanner) or 'agent' (the host's own OpenSCAP run); a check closes only its own.
ALTER TABLE "baseline_risks" ADD COLUMN "source" text DEFAULT 'api' NOT NULL;--> statement-breakpoint
ALTER TABLE "baseline_risks" ADD COLUMN "policy_name" text;--> statement-breakpoint
-- When a later check passed the rule (status 'handled').
ALTER TABLE "baseline_risks" ADD COLUMN "resolved_at" timestamp with time zone;--> statement-breakpoint
-- The latest baseline check of each (asset, policy): checked, or unsupported with the agent's reason.
CREATE TABLE "baseline_checks" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"asset_id" uuid NOT NULL REFERENCES "assets"("id") ON DELETE cascade,
	"policy_name" text NOT NULL,
	"status" text NOT NULL,
	"reason" text,
	"content" text,
	"profile" text,
	"passed" integer DEFAULT 0 NOT NULL,
	"failed" integer DEFAULT 0 NOT NULL,
	"other" integer DEFAULT 0 NOT NULL,
	"job_id" uuid,
	"checked_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);--> statement-breakpoint
CREATE UNIQUE INDEX "baseline_checks_uq" ON "baseline_checks" USING btree ("account_id","asset_id","policy_name");--> statement-breakpoint
-- What an agent reported it could not apply of the revision it runs (issue 16: drift lists it).
ALTER TABLE "member_settings_agents" ADD COLUMN "unapplied" jsonb DEFAULT '[]'::jsonb NOT NULL;
