import { proxyLocalActivities } from '@temporalio/workflow';
import type { PlaybookActivities } from '../../activities/playbook/task-activities.js';

/**
 * The task's and its batches' DB bookkeeping, as local activities (one marker event each). The asset workflow's
 * steps have their own, with a shorter timeout (asset-steps.ts).
 */
export const db = proxyLocalActivities<PlaybookActivities>({
  startToCloseTimeout: '60s',
  retry: { initialInterval: '200ms', maximumInterval: '5s', maximumAttempts: 20 },
});
