-- Ingestion (issue 17): a scanner's vulnerability or baseline-risk row may name only an asset of its own account. The
-- ingest statement checked that itself with one index probe per row (`exists (select 1 from assets …)`), and then
-- the foreign key on asset_id probed the same asset again, with a row lock, for its existence alone: ~40 ms and
-- ~54 ms of the ~330 ms of backend time of a 10,000-row insert at 100,000 assets. The foreign key now names the
-- pair (account_id, asset_id), so its one probe answers both questions, and a row naming another account's asset is
-- refused by the database on every write path, not only the scanners' (an agent's scan, a restore, a hand-written
-- statement). (account_id, id) was already indexed for the list pages; the index is now unique, as a foreign key's
-- target must be (id alone is the primary key, so the pair always was). Deleting an asset still deletes its findings.
CREATE UNIQUE INDEX "assets_account_id_uq" ON "assets" USING btree ("account_id","id");
--> statement-breakpoint
DROP INDEX "assets_account_idx";
--> statement-breakpoint
ALTER INDEX "assets_account_id_uq" RENAME TO "assets_account_idx";
--> statement-breakpoint
ALTER TABLE "vulnerabilities" ADD CONSTRAINT "vulnerabilities_account_asset_fk" FOREIGN KEY ("account_id","asset_id") REFERENCES "public"."assets"("account_id","id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "vulnerabilities" DROP CONSTRAINT "vulnerabilities_asset_id_assets_id_fk";
--> statement-breakpoint
ALTER TABLE "baseline_risks" ADD CONSTRAINT "baseline_risks_account_asset_fk" FOREIGN KEY ("account_id","asset_id") REFERENCES "public"."assets"("account_id","id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "baseline_risks" DROP CONSTRAINT "baseline_risks_asset_id_assets_id_fk";
