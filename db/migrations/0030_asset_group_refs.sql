-- Asset reads (issue 17): every asset read shows the asset's groups. They were a correlated sub-select per listed asset
-- (memberships joined to groups), which Postgres at its default random_page_cost plans as a scan of every account's
-- groups per asset: ~1.2 ms of a 50-row page whose own rows cost 0.04 ms. Groups are read on every asset page and
-- written only when memberships change, so the asset row now carries them, as the page shows them: a JSON array of
-- {id, name} ordered by name (`[]` for none). Triggers keep it equal to the memberships on every write path (the asset
-- upsert, a group's deletion, a membership written by hand), one statement at a time (transition tables), so a bulk
-- membership change is one set-based update.
ALTER TABLE "assets" ADD COLUMN "group_refs" jsonb DEFAULT '[]'::jsonb NOT NULL;
--> statement-breakpoint
-- Recomputes the listed assets' groups from their memberships. The assets are locked first, in id order: the update
-- then runs on a snapshot taken after the lock was granted, so it reads every membership a concurrent transaction
-- committed for the same asset (an update that waited on the row lock alone would recompute from its older snapshot
-- and drop the other transaction's group).
CREATE FUNCTION "vigil_refresh_asset_group_refs"(asset_ids uuid[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM "assets" WHERE "id" = ANY(asset_ids) ORDER BY "id" FOR UPDATE;
  UPDATE "assets" a SET "group_refs" = coalesce((
      SELECT jsonb_agg(jsonb_build_object('id', g."id", 'name', g."name") ORDER BY g."name", g."id")
      FROM "asset_group_members" m JOIN "asset_groups" g ON g."id" = m."group_id"
      WHERE m."asset_id" = a."id"), '[]'::jsonb)
    WHERE a."id" = ANY(asset_ids);
END $$;
--> statement-breakpoint
CREATE FUNCTION "vigil_asset_group_members_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM "vigil_refresh_asset_group_refs"(ARRAY(SELECT DISTINCT "asset_id" FROM new_rows));
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM "vigil_refresh_asset_group_refs"(ARRAY(SELECT DISTINCT "asset_id" FROM old_rows));
  ELSE
    PERFORM "vigil_refresh_asset_group_refs"(ARRAY(
      SELECT "asset_id" FROM new_rows UNION SELECT "asset_id" FROM old_rows));
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "asset_group_members_inserted" AFTER INSERT ON "asset_group_members"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "vigil_asset_group_members_changed"();
--> statement-breakpoint
CREATE TRIGGER "asset_group_members_deleted" AFTER DELETE ON "asset_group_members"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "vigil_asset_group_members_changed"();
--> statement-breakpoint
CREATE TRIGGER "asset_group_members_updated" AFTER UPDATE ON "asset_group_members"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION "vigil_asset_group_members_changed"();
--> statement-breakpoint
-- A renamed group: its members show the new name, in its new place in the name order.
CREATE FUNCTION "vigil_asset_groups_renamed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM "vigil_refresh_asset_group_refs"(ARRAY(
    SELECT DISTINCT m."asset_id" FROM new_rows n JOIN old_rows o ON o."id" = n."id"
      JOIN "asset_group_members" m ON m."group_id" = n."id"
    WHERE n."name" IS DISTINCT FROM o."name"));
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "asset_groups_renamed" AFTER UPDATE ON "asset_groups"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION "vigil_asset_groups_renamed"();
--> statement-breakpoint
-- The assets that have memberships now, through the same recount the triggers use.
SELECT "vigil_refresh_asset_group_refs"(ARRAY(SELECT DISTINCT "asset_id" FROM "asset_group_members"));
