ALTER TABLE "playbook_tasks" DROP CONSTRAINT "playbook_tasks_policy_id_playbook_policies_id_fk";
--> statement-breakpoint
ALTER TABLE "playbook_tasks" ALTER COLUMN "policy_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "playbook_tasks" ADD CONSTRAINT "playbook_tasks_policy_id_playbook_policies_id_fk" FOREIGN KEY ("policy_id") REFERENCES "public"."playbook_policies"("id") ON DELETE set null ON UPDATE no action;