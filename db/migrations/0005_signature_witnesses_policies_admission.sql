CREATE TABLE "signature_admission_decisions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"cluster_id" uuid NOT NULL,
	"policy_id" uuid,
	"policy_version" integer,
	"request_uid" text NOT NULL,
	"namespace" text NOT NULL,
	"kind" text NOT NULL,
	"name" text NOT NULL,
	"operation" text NOT NULL,
	"mode" text,
	"allowed" boolean NOT NULL,
	"outcome" text NOT NULL,
	"message" text NOT NULL,
	"images" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "signature_image_signatures" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"witness_id" uuid NOT NULL,
	"key_version" integer NOT NULL,
	"repository" text NOT NULL,
	"digest" text NOT NULL,
	"payload" text NOT NULL,
	"signature" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "signature_clusters" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"failure_policy" text DEFAULT 'Fail' NOT NULL,
	"token_hash" text NOT NULL,
	"token_prefix" text NOT NULL,
	"last_seen_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "signature_key_versions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"witness_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"status" text DEFAULT 'enabled' NOT NULL,
	"public_key_pem" text NOT NULL,
	"fingerprint" text NOT NULL,
	"sealed_private_key" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"disabled_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "signature_policies" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"name" text NOT NULL,
	"witness_id" uuid NOT NULL,
	"cluster_id" uuid NOT NULL,
	"namespaces" text[] DEFAULT '{}'::text[] NOT NULL,
	"enabled" boolean DEFAULT false NOT NULL,
	"mode" text DEFAULT 'enforce' NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "signature_state" (
	"account_id" uuid PRIMARY KEY NOT NULL,
	"generation" bigint DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "signature_witnesses" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"key_spec" text NOT NULL,
	"purpose" text NOT NULL,
	"provider" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"current_version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"disabled_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "signature_trusted_images" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"witness_id" uuid NOT NULL,
	"repository" text NOT NULL,
	"digest" text NOT NULL,
	"key_version" integer NOT NULL,
	"label" text,
	"cluster_id" uuid NOT NULL,
	"namespace" text NOT NULL,
	"policy_id" uuid NOT NULL,
	"first_verified_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_verified_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone,
	"revoked_reason" text
);
--> statement-breakpoint
ALTER TABLE "signature_image_signatures" ADD CONSTRAINT "signature_image_signatures_witness_id_signature_witnesses_id_fk" FOREIGN KEY ("witness_id") REFERENCES "public"."signature_witnesses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "signature_key_versions" ADD CONSTRAINT "signature_key_versions_witness_id_signature_witnesses_id_fk" FOREIGN KEY ("witness_id") REFERENCES "public"."signature_witnesses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "signature_policies" ADD CONSTRAINT "signature_policies_witness_id_signature_witnesses_id_fk" FOREIGN KEY ("witness_id") REFERENCES "public"."signature_witnesses"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "signature_policies" ADD CONSTRAINT "signature_policies_cluster_id_signature_clusters_id_fk" FOREIGN KEY ("cluster_id") REFERENCES "public"."signature_clusters"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "signature_admission_decisions_account_idx" ON "signature_admission_decisions" USING btree ("account_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "signature_image_signatures_uq" ON "signature_image_signatures" USING btree ("witness_id","key_version","digest","repository");--> statement-breakpoint
CREATE INDEX "signature_image_signatures_digest_idx" ON "signature_image_signatures" USING btree ("account_id","digest");--> statement-breakpoint
CREATE UNIQUE INDEX "signature_clusters_name_uq" ON "signature_clusters" USING btree ("account_id","name");--> statement-breakpoint
CREATE UNIQUE INDEX "signature_clusters_token_uq" ON "signature_clusters" USING btree ("token_hash");--> statement-breakpoint
CREATE UNIQUE INDEX "signature_key_versions_uq" ON "signature_key_versions" USING btree ("witness_id","version");--> statement-breakpoint
CREATE UNIQUE INDEX "signature_policies_name_uq" ON "signature_policies" USING btree ("account_id","name");--> statement-breakpoint
CREATE INDEX "signature_policies_cluster_idx" ON "signature_policies" USING btree ("cluster_id");--> statement-breakpoint
CREATE UNIQUE INDEX "signature_witnesses_name_uq" ON "signature_witnesses" USING btree ("account_id","name");--> statement-breakpoint
CREATE UNIQUE INDEX "signature_trusted_images_uq" ON "signature_trusted_images" USING btree ("account_id","witness_id","repository","digest");--> statement-breakpoint
CREATE INDEX "signature_trusted_images_key_idx" ON "signature_trusted_images" USING btree ("witness_id","key_version");