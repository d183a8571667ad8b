-- Fleet scale (issue 17): every list filter has an index whose last column is the page order (id), so a page is an
-- index range scan from the cursor that stops after `limit + 1` rows, whatever the table's size. Indexes that the new
-- ones extend (same leading columns) are dropped.
-- Vulnerabilities: by severity, by status, by both; by asset (the natural key leads with the asset but ends in
-- type and name, so that page would need a sort).
CREATE INDEX IF NOT EXISTS "vulnerabilities_severity_page_idx" ON "vulnerabilities" ("account_id", "severity", "id");
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "vulnerabilities_status_page_idx" ON "vulnerabilities" ("account_id", "status", "id");
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "vulnerabilities_status_severity_page_idx" ON "vulnerabilities" ("account_id", "status", "severity", "id");
--> statement-breakpoint
DROP INDEX IF EXISTS "vulnerabilities_account_status_idx";
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "vulnerabilities_asset_page_idx" ON "vulnerabilities" ("account_id", "asset_id", "id");
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "alerts_severity_page_idx" ON "alerts" ("account_id", "severity", "id");
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "alerts_status_page_idx" ON "alerts" ("account_id", "status", "id");
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "alerts_status_severity_page_idx" ON "alerts" ("account_id", "status", "severity", "id");
--> statement-breakpoint
DROP INDEX IF EXISTS "alerts_account_status_idx";
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "alerts_asset_page_idx" ON "alerts" ("account_id", "asset_id", "id");
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "baseline_risks_severity_page_idx" ON "baseline_risks" ("account_id", "severity", "id");
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "baseline_risks_status_page_idx" ON "baseline_risks" ("account_id", "status", "id");
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "baseline_risks_status_severity_page_idx" ON "baseline_risks" ("account_id", "status", "severity", "id");
--> statement-breakpoint
DROP INDEX IF EXISTS "baseline_risks_account_status_idx";
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "attack_events_asset_page_idx" ON "attack_events" ("account_id", "asset_id", "id");
--> statement-breakpoint
-- Assets by OS and agent status (group filters go through asset_group_members' primary key).
CREATE INDEX IF NOT EXISTS "assets_os_page_idx" ON "assets" ("account_id", "os_family", "id");
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "assets_agent_status_page_idx" ON "assets" ("account_id", "agent_status", "id");
--> statement-breakpoint
-- The audit log, newest first, by action or by target (a year of rows per account).
CREATE INDEX IF NOT EXISTS "audit_log_action_page_idx" ON "audit_log" ("account_id", "action", "id");
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "audit_log_target_page_idx" ON "audit_log" ("account_id", "target_id", "id");
--> statement-breakpoint
-- Playbook tasks by status, newest first; a task's log of one execution in order.
CREATE INDEX IF NOT EXISTS "playbook_tasks_status_page_idx" ON "playbook_tasks" ("account_id", "status", "id");
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "playbook_task_logs_execution_page_idx" ON "playbook_task_logs" ("task_id", "execution", "id");
