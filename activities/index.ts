import type { Services } from '../platform/services.js';
import { createAgentActivities } from './agents/run-agent-job.js';
import { createHostScanActivities } from './inventory/host-scan-activities.js';
import { createMemberSettingsActivities } from './multi-account/rollout-activities.js';
import { createNotifyActivities } from './notifications/send-notification.js';
import { createPlaybookActivities } from './playbook/task-activities.js';
import { createSignatureActivities } from './signature/revocation.js';
import { createReportActivities } from './reports/delivery.js';

/** What activities need: the same services the API has (database, Temporal client, secrets, config). */
export type ActivityDeps = Services;

/** All activities of every capability, bound to their dependencies. Features add their factory here. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createAgentActivities(deps),
    ...createNotifyActivities(deps),
    ...createSignatureActivities(deps),
    ...createPlaybookActivities(deps),
    ...createMemberSettingsActivities(deps),
    ...createReportActivities(deps),
    ...createHostScanActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
