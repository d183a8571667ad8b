import type { TReportPeriod } from '../../domain/reports/period.js';
import type { TReportStats } from '../../domain/reports/stats.js';
import type { Services } from '../../platform/services.js';
import { gatherConsolidatedStats } from '../../services/reports/gather-consolidated-stats.js';
import { gatherReportStats } from '../../services/reports/gather-report-stats.js';
import { loadReportPlan, type TReportPlan } from '../../services/reports/load-report-plan.js';
import { markScheduledSend } from '../../services/reports/mark-scheduled-send.js';
import { renderReportRun } from '../../services/reports/render-report-run.js';
import { sendReportMail, type TSendOutcome } from '../../services/reports/send-report-mail.js';

export type { TReportPlan, TSendOutcome };

type Deps = Pick<Services, 'db' | 'mailer' | 'secrets' | 'publicUrl' | 'logger' | 'temporal' | 'taskQueues'>;

/** The report delivery activities; each can run twice without a second effect (DESIGN §3.3). */
export function createReportActivities(deps: Deps) {
  return {
    loadReportPlan: (opts: { accountId: string; reportId: string }): Promise<TReportPlan | null> =>
      loadReportPlan(deps.db, opts),

    gatherReportStats: (opts: {
      accountId: string;
      items: TReportPlan['items'];
      period: TReportPeriod;
      assetGroupId?: string | null;
      minSeverity?: TReportPlan['minSeverity'];
      consolidated?: boolean;
    }): Promise<TReportStats> =>
      opts.consolidated ? gatherConsolidatedStats(deps.db, opts) : gatherReportStats(deps.db, opts),

    renderReportRun: (opts: Parameters<typeof renderReportRun>[1]) => renderReportRun(deps, opts),

    sendReportMail: (opts: Parameters<typeof sendReportMail>[1]): Promise<TSendOutcome> =>
      sendReportMail(deps, opts),

    markScheduledSend: (opts: { accountId: string; reportId: string; workflowId: string }): Promise<void> =>
      markScheduledSend(deps, opts),
  };
}

export type ReportActivities = ReturnType<typeof createReportActivities>;
