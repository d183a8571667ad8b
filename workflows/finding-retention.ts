import { continueAsNew, proxyActivities, setCurrentDetails, sleep } from '@temporalio/workflow';
import type { HostScanActivities } from '../activities/inventory/host-scan-activities.js';

const DAY_MS = 86_400_000;
const DAYS_PER_RUN = 30;

const { deleteStaleFindings } = proxyActivities<HostScanActivities>({
  startToCloseTimeout: '5m',
  retry: { maximumAttempts: 10 },
});

export interface FindingRetentionInput {
  accountId: string;
  day?: number;
  /**
   * A clock of its own (tests): day n of the loop is `startAt + n days`, and a day lasts `dayMs`. Without it the
   * workflow's own time is used and a day is 24 h.
   */
  clock?: { startAt: number; dayMs: number };
}

/**
 * Once a day, deletes the account's vulnerabilities not detected again for the settings' `deleteAfterDays`
 * (issue 16), audited; the days are read from the effective settings every time.
 */
export async function findingRetentionWorkflow(input: FindingRetentionInput): Promise<void> {
  const first = input.day ?? 0;
  for (let day = first; day < first + DAYS_PER_RUN; day++) {
    const now = input.clock ? input.clock.startAt + day * DAY_MS : Date.now();
    const outcome = await deleteStaleFindings({
      accountId: input.accountId,
      now,
      actor: 'finding-retention',
    });
    setCurrentDetails(
      `day ${day}: deleted **${outcome.deleted}** vulnerabilities not seen since ${outcome.cutoff} (deleteAfterDays ${outcome.deleteAfterDays})`,
    );
    await sleep(input.clock?.dayMs ?? DAY_MS, { summary: 'next retention pass' });
  }
  await continueAsNew<typeof findingRetentionWorkflow>({ ...input, day: first + DAYS_PER_RUN });
}
