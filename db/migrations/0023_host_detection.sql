-- Detection on the host (issue 12): agent scans report missing updates as vulnerabilities of their own asset.
ALTER TABLE "vulnerabilities" ADD COLUMN "advisory" text;--> statement-breakpoint
-- Who reported it: 'api' (a scanner's POST) or 'agent' (the host's own package manager); a scan closes only its own.
ALTER TABLE "vulnerabilities" ADD COLUMN "source" text DEFAULT 'api' NOT NULL;--> statement-breakpoint
-- Closed because a scan no longer saw it, without a Vigil task fixing it.
ALTER TABLE "vulnerabilities" ADD COLUMN "fixed_outside_vigil" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX "vulnerabilities_asset_source_idx" ON "vulnerabilities" USING btree ("account_id","asset_id","source","status");
