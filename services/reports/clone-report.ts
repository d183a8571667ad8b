import type { Services } from '../../platform/services.js';
import { createReport } from './create-report.js';
import type { TReportActor } from './report-checks.js';
import type { ReportRow } from './report-schedules.js';
import { draftOfRow, getReport } from './report-views.js';

/** Copies a report under "<name> (copy)"; the copy counts against the limit and passes every rule again. */
export async function cloneReport(
  deps: Pick<Services, 'db' | 'temporal' | 'taskQueues' | 'logger'>,
  actor: TReportActor,
  opts: { id: string },
): Promise<ReportRow> {
  const source = await getReport(deps.db, actor.accountId, opts.id);
  return createReport(deps, actor, {
    name: `${source.name} (copy)`.slice(0, 100),
    enabled: source.enabled,
    draft: draftOfRow(source),
    action: 'report.clone',
    clonedFrom: source.id,
  });
}
