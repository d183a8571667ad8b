-- Custom SQL migration file, put your code below! --
-- risk_counts (db/schema/multi-account.ts) is kept equal to
--   select account_id, <table>, type, severity, status, count(*) from <findings table> group by ...
-- by statement-level triggers on alerts, vulnerabilities and baseline_risks. They see every writer: ingestion
-- upserts (inserted rows arrive in the INSERT trigger, conflicting rows in the UPDATE trigger), the Playbook's
-- status changes, cascades from deleted assets, test and bench SQL, truncation. Each statement adds its net change
-- per (account, type, severity, status) in one pass over its transition tables.
-- Concurrency: before touching an account's counters a statement takes a transaction-scoped advisory lock on the
-- account (ordered by the lock key), so two transactions writing the same account's findings never lock counter
-- rows in opposite orders; the second waits for the first to commit. Statements that change no counted column
-- (most re-ingests) take no lock. The first key, 1919508835, is the class of these locks.
CREATE FUNCTION risk_counts_track() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  type_expr text := TG_ARGV[0];
  changed text;
  r record;
  locked uuid;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    DELETE FROM risk_counts WHERE kind = TG_TABLE_NAME;
    RETURN NULL;
  END IF;
  changed := CASE TG_OP
    WHEN 'INSERT' THEN format('SELECT account_id, %s AS type, severity, status, 1 AS d FROM new_rows', type_expr)
    WHEN 'DELETE' THEN format('SELECT account_id, %s AS type, severity, status, -1 AS d FROM old_rows', type_expr)
    ELSE format('SELECT account_id, %1$s AS type, severity, status, 1 AS d FROM new_rows'
      ' UNION ALL SELECT account_id, %1$s, severity, status, -1 FROM old_rows', type_expr)
  END;
  FOR r IN EXECUTE format('SELECT account_id, type, severity, status, sum(d)::int AS n FROM (%s) c'
    ' GROUP BY 1, 2, 3, 4 HAVING sum(d) <> 0 ORDER BY hashtext(account_id::text), 1, 2, 3, 4', changed)
  LOOP
    IF locked IS DISTINCT FROM r.account_id THEN
      PERFORM pg_advisory_xact_lock(1919508835, hashtext(r.account_id::text));
      locked := r.account_id;
    END IF;
    INSERT INTO risk_counts AS rc (account_id, kind, type, severity, status, n)
    VALUES (r.account_id, TG_TABLE_NAME, r.type, r.severity, r.status, r.n)
    ON CONFLICT (account_id, kind, type, severity, status) DO UPDATE SET n = rc.n + excluded.n;
  END LOOP;
  RETURN NULL;
END
$fn$;
--> statement-breakpoint
-- Four triggers on each findings table; only vulnerabilities carry a type (the argument is its SQL expression).
DO $do$
DECLARE
  t text;
  type_expr text;
BEGIN
  FOREACH t IN ARRAY ARRAY['vulnerabilities', 'alerts', 'baseline_risks'] LOOP
    type_expr := quote_literal(CASE WHEN t = 'vulnerabilities' THEN 'type' ELSE '''''' END);
    EXECUTE format('CREATE TRIGGER %1$I AFTER INSERT ON %2$I REFERENCING NEW TABLE AS new_rows'
      ' FOR EACH STATEMENT EXECUTE FUNCTION risk_counts_track(%3$s)', t || '_risk_counts_insert', t, type_expr);
    EXECUTE format('CREATE TRIGGER %1$I AFTER UPDATE ON %2$I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows'
      ' FOR EACH STATEMENT EXECUTE FUNCTION risk_counts_track(%3$s)', t || '_risk_counts_update', t, type_expr);
    EXECUTE format('CREATE TRIGGER %1$I AFTER DELETE ON %2$I REFERENCING OLD TABLE AS old_rows'
      ' FOR EACH STATEMENT EXECUTE FUNCTION risk_counts_track(%3$s)', t || '_risk_counts_delete', t, type_expr);
    EXECUTE format('CREATE TRIGGER %1$I AFTER TRUNCATE ON %2$I'
      ' FOR EACH STATEMENT EXECUTE FUNCTION risk_counts_track(%3$s)', t || '_risk_counts_truncate', t, type_expr);
  END LOOP;
END
$do$;
--> statement-breakpoint
-- Backfill. Creating the triggers took each table's write lock, held until this migration commits, so no write can
-- fall between the count and the triggers.
INSERT INTO risk_counts (account_id, kind, type, severity, status, n)
SELECT account_id, 'vulnerabilities', type, severity, status, count(*)::int FROM vulnerabilities GROUP BY 1, 2, 3, 4, 5
UNION ALL
SELECT account_id, 'alerts', '', severity, status, count(*)::int FROM alerts GROUP BY 1, 2, 3, 4, 5
UNION ALL
SELECT account_id, 'baseline_risks', '', severity, status, count(*)::int FROM baseline_risks GROUP BY 1, 2, 3, 4, 5;
