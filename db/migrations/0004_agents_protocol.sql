CREATE TABLE "agent_enrollment_tokens" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"token_hash" text NOT NULL,
	"asset_id" uuid,
	"description" text DEFAULT '' NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"max_uses" integer,
	"uses" integer DEFAULT 0 NOT NULL,
	"created_by" text NOT NULL,
	"last_used_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "agent_jobs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"asset_id" uuid NOT NULL,
	"job_key" text NOT NULL,
	"kind" text NOT NULL,
	"payload" jsonb NOT NULL,
	"group" text,
	"summary" text,
	"status" text DEFAULT 'pending' NOT NULL,
	"task_token" "bytea",
	"workflow_id" text,
	"activity_id" text,
	"attempt" integer DEFAULT 1 NOT NULL,
	"cancel_requested" boolean DEFAULT false NOT NULL,
	"exit_code" integer,
	"output" text DEFAULT '' NOT NULL,
	"output_length" integer DEFAULT 0 NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"progress" jsonb,
	"agent_id" uuid,
	"claimed_at" timestamp with time zone,
	"started_at" timestamp with time zone,
	"heartbeat_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"delivered_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "agents" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"asset_id" uuid NOT NULL,
	"token_hash" text NOT NULL,
	"enrollment_token_id" uuid,
	"version" text DEFAULT '' NOT NULL,
	"hostname" text NOT NULL,
	"executor" text NOT NULL,
	"last_heartbeat_at" timestamp with time zone,
	"registered_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "agent_enrollment_tokens" ADD CONSTRAINT "agent_enrollment_tokens_asset_id_assets_id_fk" FOREIGN KEY ("asset_id") REFERENCES "public"."assets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agent_jobs" ADD CONSTRAINT "agent_jobs_asset_id_assets_id_fk" FOREIGN KEY ("asset_id") REFERENCES "public"."assets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agents" ADD CONSTRAINT "agents_asset_id_assets_id_fk" FOREIGN KEY ("asset_id") REFERENCES "public"."assets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agents" ADD CONSTRAINT "agents_enrollment_token_id_agent_enrollment_tokens_id_fk" FOREIGN KEY ("enrollment_token_id") REFERENCES "public"."agent_enrollment_tokens"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "agent_enrollment_tokens_hash_uq" ON "agent_enrollment_tokens" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "agent_enrollment_tokens_account_idx" ON "agent_enrollment_tokens" USING btree ("account_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "agent_jobs_key_uq" ON "agent_jobs" USING btree ("account_id","job_key");--> statement-breakpoint
CREATE INDEX "agent_jobs_asset_status_idx" ON "agent_jobs" USING btree ("asset_id","status","id");--> statement-breakpoint
CREATE INDEX "agent_jobs_group_idx" ON "agent_jobs" USING btree ("account_id","group");--> statement-breakpoint
CREATE UNIQUE INDEX "agents_asset_uq" ON "agents" USING btree ("asset_id");--> statement-breakpoint
CREATE UNIQUE INDEX "agents_token_hash_uq" ON "agents" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "agents_account_idx" ON "agents" USING btree ("account_id","id");