-- Ingestion (issue 17): a scanner re-reports the same vulnerabilities on every scan, and each re-report updates the
-- row's title, versions and last-seen times but rarely a column an index holds (account, asset, type, name, id,
-- severity, status). Such an update is HOT — no entry in any of the table's seven indexes — only when the new row
-- version fits on the old one's page, and bulk-loaded pages are full, so every re-report wrote seven index entries
-- per row and bloated them until a vacuum. New pages are now filled to 60 %, room for a scan to re-report two
-- thirds of a page's rows in place (the page's earlier versions are pruned on the next visit): a 10,000-row
-- re-upsert took ~40 % less CPU in a same-run A/B; inserts are unchanged. Existing pages keep their fill until
-- rewritten (VACUUM FULL or pg_repack), so this is no table rewrite.
ALTER TABLE "vulnerabilities" SET (fillfactor = 60);
