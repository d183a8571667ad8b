CREATE TABLE "directory_accounts" (
	"account_id" uuid PRIMARY KEY NOT NULL,
	"directory_id" uuid NOT NULL,
	"joined_via" text NOT NULL,
	"delegated_admin_since" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "directory_invitations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"directory_id" uuid NOT NULL,
	"invitee_account_id" uuid NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"invited_by" text NOT NULL,
	"responded_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "managed_members" (
	"account_id" uuid PRIMARY KEY NOT NULL,
	"directory_id" uuid NOT NULL,
	"added_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "member_settings_agents" (
	"account_id" uuid NOT NULL,
	"agent_id" uuid NOT NULL,
	"asset_id" uuid NOT NULL,
	"applied_revision" integer DEFAULT 0 NOT NULL,
	"last_attempt_revision" integer,
	"last_error" text,
	"applied_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "member_settings_agents_account_id_agent_id_pk" PRIMARY KEY("account_id","agent_id")
);
--> statement-breakpoint
CREATE TABLE "member_settings_revisions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"revision" integer NOT NULL,
	"settings" jsonb NOT NULL,
	"actor" text NOT NULL,
	"actor_account_id" uuid NOT NULL,
	"rollout_started_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "resource_directories" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"name" text NOT NULL,
	"auto_add_new_accounts" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "directory_accounts" ADD CONSTRAINT "directory_accounts_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "directory_accounts" ADD CONSTRAINT "directory_accounts_directory_id_resource_directories_id_fk" FOREIGN KEY ("directory_id") REFERENCES "public"."resource_directories"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "directory_invitations" ADD CONSTRAINT "directory_invitations_directory_id_resource_directories_id_fk" FOREIGN KEY ("directory_id") REFERENCES "public"."resource_directories"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "directory_invitations" ADD CONSTRAINT "directory_invitations_invitee_account_id_accounts_id_fk" FOREIGN KEY ("invitee_account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "managed_members" ADD CONSTRAINT "managed_members_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "managed_members" ADD CONSTRAINT "managed_members_directory_id_resource_directories_id_fk" FOREIGN KEY ("directory_id") REFERENCES "public"."resource_directories"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "member_settings_revisions" ADD CONSTRAINT "member_settings_revisions_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "resource_directories" ADD CONSTRAINT "resource_directories_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "directory_accounts_directory_idx" ON "directory_accounts" USING btree ("directory_id","account_id");--> statement-breakpoint
CREATE UNIQUE INDEX "directory_invitations_pending_uq" ON "directory_invitations" USING btree ("directory_id","invitee_account_id") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "directory_invitations_invitee_idx" ON "directory_invitations" USING btree ("invitee_account_id","id");--> statement-breakpoint
CREATE INDEX "directory_invitations_account_idx" ON "directory_invitations" USING btree ("account_id","id");--> statement-breakpoint
CREATE INDEX "managed_members_directory_idx" ON "managed_members" USING btree ("directory_id","account_id");--> statement-breakpoint
CREATE UNIQUE INDEX "member_settings_revisions_uq" ON "member_settings_revisions" USING btree ("account_id","revision");--> statement-breakpoint
CREATE UNIQUE INDEX "resource_directories_account_uq" ON "resource_directories" USING btree ("account_id");