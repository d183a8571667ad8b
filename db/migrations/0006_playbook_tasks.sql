CREATE TABLE "playbook_policies" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"template_id" uuid NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"params" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "playbook_task_assets" (
	"account_id" uuid NOT NULL,
	"task_id" uuid NOT NULL,
	"execution" integer NOT NULL,
	"asset_id" uuid NOT NULL,
	"position" integer NOT NULL,
	"status" text DEFAULT 'Pending' NOT NULL,
	"reason" text,
	"started_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "playbook_task_assets_task_id_execution_asset_id_pk" PRIMARY KEY("task_id","execution","asset_id")
);
--> statement-breakpoint
CREATE TABLE "playbook_task_logs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"task_id" uuid NOT NULL,
	"execution" integer NOT NULL,
	"dedupe_key" text NOT NULL,
	"level" text NOT NULL,
	"event" text NOT NULL,
	"message" text NOT NULL,
	"asset_id" uuid,
	"step_id" uuid,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "playbook_task_steps" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"task_id" uuid NOT NULL,
	"execution" integer NOT NULL,
	"asset_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"vulnerability_id" text DEFAULT '' NOT NULL,
	"attempt" integer DEFAULT 1 NOT NULL,
	"status" text NOT NULL,
	"summary" text NOT NULL,
	"job_id" uuid,
	"exit_code" integer,
	"output" text DEFAULT '' NOT NULL,
	"error" text,
	"details" jsonb,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "playbook_task_vulnerabilities" (
	"account_id" uuid NOT NULL,
	"task_id" uuid NOT NULL,
	"vulnerability_id" uuid NOT NULL,
	"asset_id" uuid NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"execution" integer DEFAULT 1 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "playbook_task_vulnerabilities_task_id_vulnerability_id_pk" PRIMARY KEY("task_id","vulnerability_id")
);
--> statement-breakpoint
CREATE TABLE "playbook_tasks" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"policy_id" uuid NOT NULL,
	"name" text NOT NULL,
	"params" jsonb NOT NULL,
	"status" text NOT NULL,
	"execution" integer DEFAULT 1 NOT NULL,
	"mode" text NOT NULL,
	"window_start" timestamp with time zone,
	"window_end" timestamp with time zone,
	"time_zone" text,
	"selection" jsonb NOT NULL,
	"channel_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"asset_count" integer NOT NULL,
	"vulnerability_count" integer NOT NULL,
	"started_execution" integer DEFAULT 0 NOT NULL,
	"created_by" text NOT NULL,
	"started_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "playbook_task_assets" ADD CONSTRAINT "playbook_task_assets_task_id_playbook_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."playbook_tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "playbook_task_assets" ADD CONSTRAINT "playbook_task_assets_asset_id_assets_id_fk" FOREIGN KEY ("asset_id") REFERENCES "public"."assets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "playbook_task_logs" ADD CONSTRAINT "playbook_task_logs_task_id_playbook_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."playbook_tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "playbook_task_steps" ADD CONSTRAINT "playbook_task_steps_task_id_playbook_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."playbook_tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "playbook_task_vulnerabilities" ADD CONSTRAINT "playbook_task_vulnerabilities_task_id_playbook_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."playbook_tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "playbook_task_vulnerabilities" ADD CONSTRAINT "playbook_task_vulnerabilities_vulnerability_id_vulnerabilities_id_fk" FOREIGN KEY ("vulnerability_id") REFERENCES "public"."vulnerabilities"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "playbook_task_vulnerabilities" ADD CONSTRAINT "playbook_task_vulnerabilities_asset_id_assets_id_fk" FOREIGN KEY ("asset_id") REFERENCES "public"."assets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "playbook_tasks" ADD CONSTRAINT "playbook_tasks_policy_id_playbook_policies_id_fk" FOREIGN KEY ("policy_id") REFERENCES "public"."playbook_policies"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "playbook_policies_account_idx" ON "playbook_policies" USING btree ("account_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "playbook_task_assets_position_uq" ON "playbook_task_assets" USING btree ("task_id","execution","position");--> statement-breakpoint
CREATE INDEX "playbook_task_assets_status_idx" ON "playbook_task_assets" USING btree ("task_id","execution","status");--> statement-breakpoint
CREATE UNIQUE INDEX "playbook_task_logs_dedupe_uq" ON "playbook_task_logs" USING btree ("task_id","execution","dedupe_key");--> statement-breakpoint
CREATE INDEX "playbook_task_logs_task_idx" ON "playbook_task_logs" USING btree ("task_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "playbook_task_steps_natural_uq" ON "playbook_task_steps" USING btree ("task_id","execution","asset_id","kind","vulnerability_id","attempt");--> statement-breakpoint
CREATE INDEX "playbook_task_steps_task_idx" ON "playbook_task_steps" USING btree ("task_id","execution","kind","status");--> statement-breakpoint
CREATE INDEX "playbook_task_vulnerabilities_asset_idx" ON "playbook_task_vulnerabilities" USING btree ("task_id","asset_id");--> statement-breakpoint
CREATE INDEX "playbook_tasks_account_idx" ON "playbook_tasks" USING btree ("account_id","id");--> statement-breakpoint
CREATE INDEX "playbook_tasks_account_status_idx" ON "playbook_tasks" USING btree ("account_id","status");--> statement-breakpoint
CREATE INDEX "playbook_tasks_policy_idx" ON "playbook_tasks" USING btree ("policy_id","status");