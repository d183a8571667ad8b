import { recordAudit } from '../../db/audit.js';
import { reports } from '../../db/schema/reports.js';
import type { TReportDraft } from '../../domain/reports/definition.js';
import type { Services } from '../../platform/services.js';
import {
  checkedDefinition,
  checkRecipientsVerified,
  checkScope,
  definitionColumns,
  lockAccountReports,
  type TReportActor,
} from './report-checks.js';
import type { ReportRow } from './report-schedules.js';
import { syncReportSchedule } from './sync-report-schedule.js';

type Deps = Pick<Services, 'db' | 'temporal' | 'taskQueues' | 'logger'>;

/**
 * Creates a security report (manual: "Create a security report"): the product's rules (422 listing every
 * violation), at most 9 besides the default, verified recipients only, a scope inside the account; audited in the
 * same transaction, then its schedule is brought in step.
 */
export async function createReport(
  deps: Deps,
  actor: TReportActor,
  opts: { name: string; enabled: boolean; draft: TReportDraft; action?: string; clonedFrom?: string },
): Promise<ReportRow> {
  const definition = checkedDefinition(opts.draft, new Date());
  const row = await deps.db.transaction(async (tx) => {
    await lockAccountReports(tx, actor.accountId);
    await checkRecipientsVerified(tx, actor.accountId, definition.recipients);
    await checkScope(tx, actor.accountId, definition);
    const [created] = await tx
      .insert(reports)
      .values({
        accountId: actor.accountId,
        name: opts.name,
        enabled: opts.enabled,
        isDefault: false,
        ...definitionColumns(definition),
      })
      .returning();
    if (!created) throw new Error('insert returned no row');
    await recordAudit(tx, {
      ...actor,
      action: opts.action ?? 'report.create',
      targetType: 'report',
      targetId: created.id,
      before: opts.clonedFrom ? { clonedFrom: opts.clonedFrom } : null,
      after: created,
    });
    return created;
  });
  await syncReportSchedule(deps, row.id);
  return row;
}
