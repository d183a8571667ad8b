CREATE TABLE "signature_registry_credentials" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"registry" text NOT NULL,
	"username" text NOT NULL,
	"sealed_password" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "signature_registry_credentials_uq" ON "signature_registry_credentials" USING btree ("account_id","registry");
--> statement-breakpoint
ALTER TABLE "signature_witnesses" ADD COLUMN "key_origin" text DEFAULT 'generated' NOT NULL;
--> statement-breakpoint
ALTER TABLE "signature_key_versions" ADD COLUMN "kms_key_id" text;
--> statement-breakpoint
ALTER TABLE "signature_policies" ADD COLUMN "registry_failure" text DEFAULT 'deny' NOT NULL;
--> statement-breakpoint
ALTER TABLE "signature_policies" ADD COLUMN "tag_policy" text DEFAULT 'digestsOnly' NOT NULL;
--> statement-breakpoint
ALTER TABLE "signature_policies" ADD COLUMN "images" text[] DEFAULT '{}'::text[] NOT NULL;
--> statement-breakpoint
ALTER TABLE "signature_policies" ADD COLUMN "excluded_images" text[] DEFAULT '{}'::text[] NOT NULL;
--> statement-breakpoint
ALTER TABLE "signature_policies" ADD COLUMN "allow_break_glass" boolean DEFAULT true NOT NULL;
--> statement-breakpoint
ALTER TABLE "signature_policies" ADD COLUMN "cosigner_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL;
--> statement-breakpoint
ALTER TABLE "signature_policies" ADD COLUMN "required_signatures" integer DEFAULT 1 NOT NULL;
