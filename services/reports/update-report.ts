import { and, eq } from 'drizzle-orm';
import { recordAudit } from '../../db/audit.js';
import { reports } from '../../db/schema/reports.js';
import type { TReportDraft } from '../../domain/reports/definition.js';
import type { Services } from '../../platform/services.js';
import {
  checkedDefinition,
  checkRecipientsVerified,
  checkScope,
  definitionColumns,
  ruleError,
  type TReportActor,
} from './report-checks.js';
import type { ReportRow } from './report-schedules.js';
import { draftOfRow, getReport } from './report-views.js';
import { syncReportSchedule } from './sync-report-schedule.js';

type Deps = Pick<Services, 'db' | 'temporal' | 'taskQueues' | 'logger'>;

/**
 * Edits a report: the patch is merged over the stored definition and every rule is checked on the result (the
 * default report stays Daily; recipients must be verified). Audited in the same transaction; the schedule follows.
 */
export async function updateReport(
  deps: Deps,
  actor: TReportActor,
  opts: { id: string; name?: string; patch: (before: TReportDraft) => TReportDraft },
): Promise<ReportRow> {
  const row = await deps.db.transaction(async (tx) => {
    const before = await getReport(tx, actor.accountId, opts.id);
    const definition = checkedDefinition(opts.patch(draftOfRow(before)), new Date());
    if (before.isDefault && definition.type !== before.type) {
      throw ruleError([
        { field: 'type', message: 'the type of the default report is Daily and cannot change' },
      ]);
    }
    await checkRecipientsVerified(tx, actor.accountId, definition.recipients);
    await checkScope(tx, actor.accountId, definition);
    const [after] = await tx
      .update(reports)
      .set({ name: opts.name ?? before.name, ...definitionColumns(definition) })
      .where(and(eq(reports.id, before.id), eq(reports.accountId, actor.accountId)))
      .returning();
    if (!after) throw new Error('update returned no row');
    await recordAudit(tx, {
      ...actor,
      action: 'report.update',
      targetType: 'report',
      targetId: after.id,
      before,
      after,
    });
    return after;
  });
  await syncReportSchedule(deps, row.id);
  return row;
}
