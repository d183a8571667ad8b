import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { recordAudit } from '../../db/audit.js';
import { agentJobs } from '../../db/schema/agents.js';
import { baselineChecks, baselineRisks } from '../../db/schema/findings.js';
import { ZBaselineReportSchema, type TBaselineReport } from '../../domain/baseline-checks.js';
import { VigilError } from '../../domain/errors.js';

export interface BaselineCheckOutcome {
  status: TBaselineReport['status'];
  failed: number;
  passed: number;
  /** Risks first seen in this check. */
  opened: number;
  /** Earlier risks whose rule passed now. */
  closed: number;
}

/** Rows per upsert statement. */
const CHUNK = 200;

/**
 * Applies a finished `baseline` job (issue 16): every failed rule is an unhandled baseline risk of the asset with
 * its title, severity, evidence and remediation (reopened if a later check had closed it; an ignored one stays
 * ignored); every passed rule closes the agent's earlier risk for it. A host that could not check records why,
 * and its risks stay as they were. Idempotent: the same job applied twice changes nothing more.
 */
export async function recordBaselineCheck(
  db: Database,
  opts: { accountId: string; jobId: string; policyName: string; actor: string; now?: Date },
): Promise<BaselineCheckOutcome> {
  const [job] = await db
    .select({ assetId: agentJobs.assetId, details: agentJobs.details, status: agentJobs.status })
    .from(agentJobs)
    .where(and(eq(agentJobs.accountId, opts.accountId), eq(agentJobs.id, opts.jobId)));
  if (!job) throw new VigilError('not_found', `baseline job ${opts.jobId} does not exist`);
  const parsed = ZBaselineReportSchema.safeParse(job.details.baseline);
  if (job.status !== 'succeeded' || !parsed.success)
    throw new VigilError('unprocessable', `baseline job ${opts.jobId} reported no baseline result`);
  const report = parsed.data;
  const now = opts.now ?? new Date();
  const { accountId } = opts;
  const assetId = job.assetId;
  return db.transaction(async (tx) => {
    const failed = report.status === 'checked' ? report.rules.filter((r) => r.result === 'fail') : [];
    const passed = report.status === 'checked' ? report.rules.filter((r) => r.result === 'pass') : [];
    const counts = {
      status: report.status,
      passed: passed.length,
      failed: failed.length,
      other: report.status === 'checked' ? report.rules.length - passed.length - failed.length : 0,
    };
    const check = {
      ...counts,
      reason: report.status === 'unsupported' ? report.reason : null,
      content: report.status === 'checked' ? report.content : null,
      profile: report.status === 'checked' ? report.profile : null,
      jobId: opts.jobId,
      checkedAt: now,
    };
    await tx
      .insert(baselineChecks)
      .values({ accountId, assetId, policyName: opts.policyName, ...check })
      .onConflictDoUpdate({
        target: [baselineChecks.accountId, baselineChecks.assetId, baselineChecks.policyName],
        set: { ...check, updatedAt: now },
      });
    let opened = 0;
    for (let i = 0; i < failed.length; i += CHUNK) {
      const rows = await tx
        .insert(baselineRisks)
        .values(
          failed.slice(i, i + CHUNK).map((r) => ({
            accountId,
            assetId,
            checkName: r.ruleId,
            category: 'openscap',
            severity: r.severity,
            status: 'unhandled' as const,
            title: r.title,
            evidence: r.evidence,
            remediation: r.remediation,
            source: 'agent' as const,
            policyName: opts.policyName,
            firstSeenAt: now,
            lastSeenAt: now,
          })),
        )
        .onConflictDoUpdate({
          target: [baselineRisks.accountId, baselineRisks.assetId, baselineRisks.checkName],
          set: {
            severity: sql`excluded.severity`,
            title: sql`excluded.title`,
            evidence: sql`excluded.evidence`,
            remediation: sql`excluded.remediation`,
            category: sql`excluded.category`,
            source: sql`'agent'`,
            policyName: sql`excluded.policy_name`,
            lastSeenAt: sql`excluded.last_seen_at`,
            // Failing again: a closed risk is open again; an ignored one stays ignored.
            status: sql`case when ${baselineRisks.status} = 'handled' then 'unhandled' else ${baselineRisks.status} end`,
            resolvedAt: sql`case when ${baselineRisks.status} = 'handled' then null else ${baselineRisks.resolvedAt} end`,
            updatedAt: now,
          },
        })
        .returning({ inserted: sql<boolean>`(xmax = 0)` });
      opened += rows.filter((r) => r.inserted).length;
    }
    let closed = 0;
    for (let i = 0; i < passed.length; i += CHUNK) {
      const rows = await tx
        .update(baselineRisks)
        .set({ status: 'handled', resolvedAt: now, lastSeenAt: now, updatedAt: now })
        .where(
          and(
            eq(baselineRisks.accountId, accountId),
            eq(baselineRisks.assetId, assetId),
            eq(baselineRisks.source, 'agent'),
            eq(baselineRisks.status, 'unhandled'),
            inArray(
              baselineRisks.checkName,
              passed.slice(i, i + CHUNK).map((r) => r.ruleId),
            ),
          ),
        )
        .returning({ id: baselineRisks.id });
      closed += rows.length;
    }
    const outcome = { status: report.status, passed: passed.length, failed: failed.length, opened, closed };
    await recordAudit(tx, {
      accountId,
      actor: opts.actor,
      action: 'baseline_risk.host_check',
      targetType: 'asset',
      targetId: assetId,
      after: {
        policyName: opts.policyName,
        jobId: opts.jobId,
        checkedAt: now.toISOString(),
        ...outcome,
        ...(check.reason ? { reason: check.reason } : {}),
      },
    });
    return outcome;
  });
}
