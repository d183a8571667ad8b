import { directoryStanding } from '../multi-account/directory-views.js';
import { listManagedMembers } from '../multi-account/directory-views.js';
import { riskSummaries } from '../multi-account/risk-views.js';
import type { Executor } from '../../db/client.js';
import { unprocessable } from '../../domain/errors.js';
import type { Severity } from '../../domain/findings.js';
import { consolidateStats } from '../../domain/reports/consolidate.js';
import type { TReportPeriod } from '../../domain/reports/period.js';
import type { TReportItem } from '../../domain/reports/rules.js';
import type { TMemberSection, TReportStats } from '../../domain/reports/stats.js';
import { LISTED_ROWS } from './gather-report-stats.js';
import { gatherMemberStats } from './gather-member-stats.js';

/** Rows a member's own section lists per table; the totals above list the worst LISTED_ROWS of all members. */
export const MEMBER_LISTED_ROWS = 3;
const MEMBER_PAGE = 500;

/**
 * The statistics of a consolidated report: the caller must be its resource directory's management account (422
 * otherwise: the report cannot be built); every managed member gets a section with its score and its own
 * statistics, read with the multi-account read code; the totals are their sums.
 */
export async function gatherConsolidatedStats(
  db: Executor,
  opts: {
    accountId: string;
    period: TReportPeriod;
    items: readonly TReportItem[];
    minSeverity?: Severity | null;
  },
): Promise<TReportStats> {
  const standing = await directoryStanding(db, opts.accountId);
  if (standing?.role !== 'management') {
    throw unprocessable(
      "a consolidated report needs its account to be a resource directory's management account",
    );
  }
  const members: { id: string; name: string }[] = [];
  for (let after: string | undefined; ;) {
    const rows = await listManagedMembers(db, { directory: standing.directory, after, limit: MEMBER_PAGE });
    members.push(...rows.slice(0, MEMBER_PAGE));
    if (rows.length <= MEMBER_PAGE) break;
    after = rows[MEMBER_PAGE - 1]?.id;
  }
  const scores = new Map(
    (
      await riskSummaries(
        db,
        members.map((m) => m.id),
      )
    ).map((s) => [s.accountId, s.score]),
  );
  const byMember = await gatherMemberStats(db, {
    accountIds: members.map((m) => m.id),
    period: opts.period,
    items: opts.items,
    minSeverity: opts.minSeverity ?? null,
    listed: MEMBER_LISTED_ROWS,
  });
  const sections: TMemberSection[] = members.map((m) => {
    const stats = byMember.get(m.id);
    if (!stats) throw new Error(`no statistics for member ${m.id}`);
    return { accountId: m.id, name: m.name, score: scores.get(m.id) ?? 100, stats };
  });
  return consolidateStats(
    {
      period: opts.period,
      items: [...opts.items],
      ...(opts.minSeverity ? { scope: { assetGroupId: null, minSeverity: opts.minSeverity } } : {}),
    },
    sections,
    LISTED_ROWS,
  );
}
