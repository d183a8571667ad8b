import type { Executor } from '../../db/client.js';
import type { accounts } from '../../db/schema/accounts.js';
import { reports } from '../../db/schema/reports.js';
import { DEFAULT_REPORT } from '../../domain/reports/rules.js';

/** The default report every account gets in its creation transaction (Daily, cannot be deleted). */
export async function createDefaultReport(
  tx: Executor,
  account: typeof accounts.$inferSelect,
): Promise<void> {
  await tx
    .insert(reports)
    .values({
      accountId: account.id,
      name: DEFAULT_REPORT.name,
      type: DEFAULT_REPORT.type,
      isDefault: true,
      enabled: true,
      timeZone: account.timeZone,
      sendWindowStart: DEFAULT_REPORT.sendWindowStart,
      sendWindowEnd: DEFAULT_REPORT.sendWindowEnd,
      language: DEFAULT_REPORT.language,
      items: [...DEFAULT_REPORT.items],
    })
    .onConflictDoNothing();
}
