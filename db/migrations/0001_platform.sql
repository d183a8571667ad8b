CREATE TABLE "accounts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"time_zone" text DEFAULT 'UTC' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"name" text NOT NULL,
	"role" text NOT NULL,
	"prefix" text NOT NULL,
	"hash" text NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"actor" text NOT NULL,
	"actor_account_id" uuid,
	"action" text NOT NULL,
	"target_type" text NOT NULL,
	"target_id" text,
	"before" jsonb,
	"after" jsonb,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"request_id" text
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"account_id" uuid NOT NULL,
	"key" text NOT NULL,
	"api_key_id" uuid,
	"method" text NOT NULL,
	"path" text NOT NULL,
	"request_hash" text NOT NULL,
	"status" integer,
	"response_body" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "idempotency_keys_account_id_key_pk" PRIMARY KEY("account_id","key")
);
--> statement-breakpoint
CREATE TABLE "asset_group_members" (
	"account_id" uuid NOT NULL,
	"group_id" uuid NOT NULL,
	"asset_id" uuid NOT NULL,
	CONSTRAINT "asset_group_members_group_id_asset_id_pk" PRIMARY KEY("group_id","asset_id")
);
--> statement-breakpoint
CREATE TABLE "asset_groups" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "assets" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"instance_id" text NOT NULL,
	"name" text NOT NULL,
	"hostname" text NOT NULL,
	"ips" text[] DEFAULT '{}'::text[] NOT NULL,
	"ip_text" text DEFAULT '' NOT NULL,
	"os_family" text NOT NULL,
	"os_version" text DEFAULT '' NOT NULL,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"agent_status" text DEFAULT 'none' NOT NULL,
	"last_seen_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "alerts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"asset_id" uuid,
	"external_id" text NOT NULL,
	"name" text NOT NULL,
	"type" text DEFAULT 'generic' NOT NULL,
	"severity" text NOT NULL,
	"status" text DEFAULT 'unhandled' NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"handled_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "attack_events" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"asset_id" uuid,
	"external_id" text NOT NULL,
	"attack_type" text NOT NULL,
	"source_ip" text,
	"severity" text NOT NULL,
	"blocked" boolean DEFAULT false NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "baseline_risks" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"asset_id" uuid NOT NULL,
	"check_name" text NOT NULL,
	"category" text DEFAULT 'general' NOT NULL,
	"severity" text NOT NULL,
	"status" text DEFAULT 'unhandled' NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "vulnerabilities" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"asset_id" uuid NOT NULL,
	"type" text NOT NULL,
	"name" text NOT NULL,
	"title" text NOT NULL,
	"cve_ids" text[] DEFAULT '{}'::text[] NOT NULL,
	"severity" text NOT NULL,
	"fixable" boolean DEFAULT false NOT NULL,
	"package_name" text,
	"installed_version" text,
	"fixed_version" text,
	"kb_id" text,
	"cms_component" text,
	"status" text DEFAULT 'open' NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"latest_scan_at" timestamp with time zone DEFAULT now() NOT NULL,
	"fixed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "asset_group_members" ADD CONSTRAINT "asset_group_members_group_id_asset_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."asset_groups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "asset_group_members" ADD CONSTRAINT "asset_group_members_asset_id_assets_id_fk" FOREIGN KEY ("asset_id") REFERENCES "public"."assets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_asset_id_assets_id_fk" FOREIGN KEY ("asset_id") REFERENCES "public"."assets"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "attack_events" ADD CONSTRAINT "attack_events_asset_id_assets_id_fk" FOREIGN KEY ("asset_id") REFERENCES "public"."assets"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "baseline_risks" ADD CONSTRAINT "baseline_risks_asset_id_assets_id_fk" FOREIGN KEY ("asset_id") REFERENCES "public"."assets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vulnerabilities" ADD CONSTRAINT "vulnerabilities_asset_id_assets_id_fk" FOREIGN KEY ("asset_id") REFERENCES "public"."assets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_prefix_uq" ON "api_keys" USING btree ("prefix");--> statement-breakpoint
CREATE INDEX "api_keys_account_idx" ON "api_keys" USING btree ("account_id");--> statement-breakpoint
CREATE INDEX "audit_log_account_idx" ON "audit_log" USING btree ("account_id","id");--> statement-breakpoint
CREATE INDEX "asset_group_members_asset_idx" ON "asset_group_members" USING btree ("asset_id");--> statement-breakpoint
CREATE UNIQUE INDEX "asset_groups_name_uq" ON "asset_groups" USING btree ("account_id","name");--> statement-breakpoint
CREATE UNIQUE INDEX "assets_instance_uq" ON "assets" USING btree ("account_id","instance_id");--> statement-breakpoint
CREATE INDEX "assets_account_idx" ON "assets" USING btree ("account_id","id");--> statement-breakpoint
CREATE INDEX "assets_name_trgm" ON "assets" USING gin ("name" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "assets_hostname_trgm" ON "assets" USING gin ("hostname" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "assets_ip_trgm" ON "assets" USING gin ("ip_text" gin_trgm_ops);--> statement-breakpoint
CREATE UNIQUE INDEX "alerts_external_uq" ON "alerts" USING btree ("account_id","external_id");--> statement-breakpoint
CREATE INDEX "alerts_account_idx" ON "alerts" USING btree ("account_id","id");--> statement-breakpoint
CREATE INDEX "alerts_account_status_idx" ON "alerts" USING btree ("account_id","status","severity");--> statement-breakpoint
CREATE UNIQUE INDEX "attack_events_external_uq" ON "attack_events" USING btree ("account_id","external_id");--> statement-breakpoint
CREATE INDEX "attack_events_account_idx" ON "attack_events" USING btree ("account_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "baseline_risks_natural_uq" ON "baseline_risks" USING btree ("account_id","asset_id","check_name");--> statement-breakpoint
CREATE INDEX "baseline_risks_account_idx" ON "baseline_risks" USING btree ("account_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "vulnerabilities_natural_uq" ON "vulnerabilities" USING btree ("account_id","asset_id","type","name");--> statement-breakpoint
CREATE INDEX "vulnerabilities_account_idx" ON "vulnerabilities" USING btree ("account_id","id");--> statement-breakpoint
CREATE INDEX "vulnerabilities_account_status_idx" ON "vulnerabilities" USING btree ("account_id","status","severity");