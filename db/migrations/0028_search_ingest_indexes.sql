-- Asset search (issue 17): the trigram GIN indexes answer `ILIKE '%q%'` and `%` only while their pending list is
-- short. With fastupdate on (the default) every insert or name change lands in an unsorted pending list that each
-- search reads in full until a vacuum merges it; after a bulk load the list held ~700 pages at 10,000 assets, the
-- planner costed the index scans above a sequential scan and every search read the whole table (100+ ms). Assets are
-- written rarely and searched often, so the indexes are maintained on every write instead, and the current pending
-- lists are merged now (gin_clean_pending_list runs inside the migration's transaction, unlike VACUUM).
ALTER INDEX "assets_name_trgm" SET (fastupdate = off);
--> statement-breakpoint
ALTER INDEX "assets_hostname_trgm" SET (fastupdate = off);
--> statement-breakpoint
ALTER INDEX "assets_ip_trgm" SET (fastupdate = off);
--> statement-breakpoint
SELECT gin_clean_pending_list('"assets_name_trgm"'::regclass), gin_clean_pending_list('"assets_hostname_trgm"'::regclass),
  gin_clean_pending_list('"assets_ip_trgm"'::regclass);
--> statement-breakpoint
-- Ingestion writes every vulnerability index once per row (10,000 rows a request). The agent-scan close-out
-- (account, asset, type 'linux', source, status) reads through the natural key (account, asset, type, name), whose
-- leading columns already narrow it to one asset's rows, so this index only cost writes.
DROP INDEX IF EXISTS "vulnerabilities_asset_source_idx";
