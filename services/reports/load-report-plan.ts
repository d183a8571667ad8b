import { and, eq } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { reports } from '../../db/schema/reports.js';
import type { Severity } from '../../domain/findings.js';
import type { TReportItem, TReportLanguage, TReportType } from '../../domain/reports/rules.js';

/** What a delivery run needs to know of its report (small: ids and settings, never recipients' addresses). */
export interface TReportPlan {
  name: string;
  type: TReportType;
  enabled: boolean;
  timeZone: string;
  language: TReportLanguage;
  items: TReportItem[];
  customPeriod: { start: string; end: string } | null;
  assetGroupId: string | null;
  minSeverity: Severity | null;
  consolidated: boolean;
  /** Custom: when its one scheduled send went out (ISO), or null. */
  scheduledSendAt: string | null;
}

/** The plan of a report, or null when it no longer exists. */
export async function loadReportPlan(
  db: Executor,
  opts: { accountId: string; reportId: string },
): Promise<TReportPlan | null> {
  const [r] = await db
    .select()
    .from(reports)
    .where(and(eq(reports.id, opts.reportId), eq(reports.accountId, opts.accountId)));
  if (!r) return null;
  return {
    name: r.name,
    type: r.type,
    enabled: r.enabled,
    timeZone: r.timeZone,
    language: r.language,
    items: r.items as TReportItem[],
    customPeriod:
      r.periodStart && r.periodEnd
        ? { start: r.periodStart.toISOString(), end: r.periodEnd.toISOString() }
        : null,
    assetGroupId: r.assetGroupId,
    minSeverity: r.minSeverity,
    consolidated: r.consolidated,
    scheduledSendAt: r.scheduledSendAt?.toISOString() ?? null,
  };
}
