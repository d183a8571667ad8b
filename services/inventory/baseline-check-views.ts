import { and, asc, eq, gt, inArray, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { agents } from '../../db/schema/agents.js';
import { baselineChecks, baselineRisks } from '../../db/schema/findings.js';
import { assets } from '../../db/schema/inventory.js';
import type { Severity } from '../../domain/findings.js';

export interface BaselineCheckView {
  id: string;
  assetId: string;
  assetName: string;
  policyName: string;
  status: 'checked' | 'unsupported';
  /** Why the host could not check (no oscap, no content for its OS). */
  reason: string | null;
  content: string | null;
  profile: string | null;
  passed: number;
  failed: number;
  other: number;
  checkedAt: string;
  /** What the host's agent said at registration about baseline checks (null: an agent too old to say). */
  agentBaseline: { available: boolean; reason?: string } | null;
  /** The failing rules of this check that are still unhandled. */
  risks: {
    id: string;
    ruleId: string;
    title: string;
    severity: Severity;
    evidence: string;
    remediation: string;
    firstSeenAt: string;
  }[];
}

/**
 * The latest baseline check of each (host, policy) of an account, with the host's capability and the unhandled
 * risks it found (issue 16: "where a host lacks oscap, the risk view shows it"), by id.
 */
export async function listBaselineChecks(
  db: Executor,
  opts: { accountId: string; assetId?: string; after?: string; limit: number },
): Promise<BaselineCheckView[]> {
  const where: (SQL | undefined)[] = [
    eq(baselineChecks.accountId, opts.accountId),
    opts.assetId ? eq(baselineChecks.assetId, opts.assetId) : undefined,
    opts.after ? gt(baselineChecks.id, opts.after) : undefined,
  ];
  const rows = await db
    .select({
      check: baselineChecks,
      assetName: assets.name,
      capabilities: agents.capabilities,
    })
    .from(baselineChecks)
    .innerJoin(assets, eq(assets.id, baselineChecks.assetId))
    .leftJoin(agents, eq(agents.assetId, baselineChecks.assetId))
    .where(and(...where))
    .orderBy(asc(baselineChecks.id))
    .limit(opts.limit);
  const assetIds = [...new Set(rows.map((r) => r.check.assetId))];
  const risks =
    assetIds.length === 0
      ? []
      : await db
          .select()
          .from(baselineRisks)
          .where(
            and(
              eq(baselineRisks.accountId, opts.accountId),
              inArray(baselineRisks.assetId, assetIds),
              eq(baselineRisks.source, 'agent'),
              eq(baselineRisks.status, 'unhandled'),
            ),
          )
          .orderBy(asc(baselineRisks.checkName));
  return rows.map(({ check, assetName, capabilities }) => ({
    id: check.id,
    assetId: check.assetId,
    assetName,
    policyName: check.policyName,
    status: check.status,
    reason: check.reason,
    content: check.content,
    profile: check.profile,
    passed: check.passed,
    failed: check.failed,
    other: check.other,
    checkedAt: check.checkedAt.toISOString(),
    agentBaseline: capabilities?.baseline ?? null,
    risks: risks
      .filter((r) => r.assetId === check.assetId && r.policyName === check.policyName)
      .map((r) => ({
        id: r.id,
        ruleId: r.checkName,
        title: r.title,
        severity: r.severity,
        evidence: r.evidence,
        remediation: r.remediation,
        firstSeenAt: r.firstSeenAt.toISOString(),
      })),
  }));
}
