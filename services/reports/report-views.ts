import { and, eq, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { equals, newestFirst, oldestFirst } from '../../db/id-pages.js';
import { emailRecipients, reportDeliveries, reports } from '../../db/schema/reports.js';
import { notFound } from '../../domain/errors.js';
import { reusedQuery } from '../../platform/reused-queries.js';
import type { TReportDraft } from '../../domain/reports/definition.js';
import type { ReportRow } from './report-schedules.js';

/** A report of the account, or 404 (another account's report is not found, DESIGN §3.2). */
export async function getReport(db: Executor, accountId: string, id: string): Promise<ReportRow> {
  const query = reusedQuery(db, 'get_report', () =>
    db
      .select()
      .from(reports)
      .where(and(eq(reports.id, sql.placeholder('id')), eq(reports.accountId, sql.placeholder('accountId'))))
      .prepare('get_report'),
  );
  const [row] = await query.execute({ id, accountId });
  if (!row) throw notFound('report');
  return row;
}

/** One page of the account's reports (one more row than `limit` when there is a next page). */
export async function listReports(
  db: Executor,
  opts: { accountId: string; after?: string; limit: number },
): Promise<ReportRow[]> {
  return oldestFirst(db, reports, opts);
}

/** The verification status of each address on the given reports (an address no longer known is absent). */
export async function recipientStatuses(
  db: Executor,
  rows: readonly ReportRow[],
): Promise<Map<string, 'pending' | 'verified' | 'unsubscribed'>> {
  const addresses = [...new Set(rows.flatMap((r) => r.recipients))];
  const accountId = rows[0]?.accountId;
  if (addresses.length === 0 || !accountId) return new Map();
  // One statement text for any number of addresses (`= any($2)`, not an `in` list of as many parameters).
  const query = reusedQuery(db, 'recipient_statuses', () =>
    db
      .select({ email: emailRecipients.email, status: emailRecipients.status })
      .from(emailRecipients)
      .where(
        and(
          eq(emailRecipients.accountId, sql.placeholder('accountId')),
          sql`${emailRecipients.email} = any(${sql.placeholder('addresses')}::text[])`,
        ),
      )
      .prepare('recipient_statuses'),
  );
  const statuses = await query.execute({ accountId, addresses });
  return new Map(statuses.map((s) => [s.email, s.status]));
}

/** The stored report as a draft, so an edit or a clone re-checks every rule on the whole definition. */
export function draftOfRow(r: ReportRow): TReportDraft {
  return {
    type: r.type,
    timeZone: r.timeZone,
    sendWindowStart: r.sendWindowStart,
    sendWindowEnd: r.sendWindowEnd,
    language: r.language,
    items: r.items,
    recipients: r.recipients,
    period: r.periodStart && r.periodEnd ? { start: r.periodStart, end: r.periodEnd } : null,
    assetGroupId: r.assetGroupId,
    minSeverity: r.minSeverity,
    sendWeekday: r.sendWeekday,
    sendDayOfMonth: r.sendDayOfMonth,
    consolidated: r.consolidated,
  };
}

export type DeliveryRow = typeof reportDeliveries.$inferSelect;

/** One page of a report's deliveries, newest first, before the cursor's id (`limit + 1` rows for `page()`). */
export async function listDeliveries(
  db: Executor,
  report: Pick<ReportRow, 'accountId' | 'id'>,
  opts: { before?: string; limit: number },
): Promise<DeliveryRow[]> {
  return newestFirst(
    db,
    reportDeliveries,
    { ...opts, accountId: report.accountId },
    equals(reportDeliveries.reportId, report.id),
  );
}
