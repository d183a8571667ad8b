-- Organisation policies (issue 16 item 3): a directory's default member settings and each member's own overrides.
CREATE TABLE "directory_settings_policies" (
	"directory_id" uuid PRIMARY KEY NOT NULL REFERENCES "resource_directories"("id") ON DELETE CASCADE,
	"account_id" uuid NOT NULL REFERENCES "accounts"("id") ON DELETE CASCADE,
	"settings" jsonb NOT NULL,
	"revision" integer NOT NULL,
	"actor" text NOT NULL,
	"actor_account_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);--> statement-breakpoint
CREATE INDEX "directory_settings_policies_account_idx" ON "directory_settings_policies" USING btree ("account_id");--> statement-breakpoint
CREATE TABLE "member_settings_overrides" (
	"account_id" uuid PRIMARY KEY NOT NULL REFERENCES "accounts"("id") ON DELETE CASCADE,
	"settings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"excluded_from_policy" boolean DEFAULT false NOT NULL,
	"actor" text NOT NULL,
	"actor_account_id" uuid NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);--> statement-breakpoint
-- Settings saved before directory policies existed stay the member's own: its latest revision becomes its overrides.
INSERT INTO "member_settings_overrides" ("account_id", "settings", "actor", "actor_account_id")
SELECT DISTINCT ON ("account_id") "account_id", "settings", "actor", "actor_account_id"
  FROM "member_settings_revisions"
 ORDER BY "account_id", "revision" DESC;
