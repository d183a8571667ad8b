import { and, asc, eq, inArray, sql, type SQLWrapper } from 'drizzle-orm';
import type { Executor } from '../client.js';
import { agents } from '../schema/agents.js';
import { vulnerabilities } from '../schema/findings.js';
import { assets } from '../schema/inventory.js';
import { playbookTaskAssets, playbookTaskVulnerabilities } from '../schema/playbook.js';
import { agentOnline as agentOnlineAt, type AgentFixType } from '../../domain/agent-jobs.js';
import type { VulnerabilityType } from '../../domain/findings.js';
import type { StepKeys } from './steps.js';
import { executionAssets } from './task-run.js';

export interface VulnerabilityToFix {
  vulnerabilityId: string;
  name: string;
  type: VulnerabilityType;
  packageName: string | null;
  fixedVersion: string | null;
  kbId: string | null;
  cmsComponent: string | null;
}

/**
 * Precheck on the server side: the asset starts running, and which selected vulnerabilities are still present and
 * fixable by its agent. `agentLastSeen` is the agents feature's query of when the asset's agent was last heard from;
 * `agentOnlineWithoutFindings` answers for an asset with no selected vulnerability rows.
 */
export async function beginAsset(
  db: Executor,
  req: StepKeys,
  agentLastSeen: SQLWrapper,
  agentOnlineWithoutFindings: () => Promise<boolean>,
) {
  // One statement: the asset starts running, its selected vulnerabilities as they are now, and when its agent
  // was last heard from.
  const started = db.$with('started').as(
    db
      .update(playbookTaskAssets)
      .set({ status: 'Running', startedAt: sql`coalesce(${playbookTaskAssets.startedAt}, now())` })
      .where(
        and(
          executionAssets(req.taskId, req.execution),
          eq(playbookTaskAssets.assetId, req.assetId),
          eq(playbookTaskAssets.status, 'Pending'),
        ),
      )
      .returning({ assetId: playbookTaskAssets.assetId }),
  );
  const rows = await db
    .with(started)
    .select({
      vulnerabilityId: vulnerabilities.id,
      name: vulnerabilities.name,
      type: vulnerabilities.type,
      status: vulnerabilities.status,
      packageName: vulnerabilities.packageName,
      fixedVersion: vulnerabilities.fixedVersion,
      kbId: vulnerabilities.kbId,
      cmsComponent: vulnerabilities.cmsComponent,
      agentLastSeenAt: sql<Date | null>`(${agentLastSeen})`.mapWith(assets.lastSeenAt),
      agentFixes: sql<AgentFixType[] | null>`(select coalesce(${agents.capabilities} -> 'fixes',
          case when ${agents.executor} is null then null else '["linux"]'::jsonb end)
        from ${agents} where ${agents.accountId} = ${req.accountId}::uuid and ${agents.assetId} = ${req.assetId}::uuid)`,
    })
    .from(playbookTaskVulnerabilities)
    .innerJoin(vulnerabilities, eq(vulnerabilities.id, playbookTaskVulnerabilities.vulnerabilityId))
    .where(
      and(
        eq(playbookTaskVulnerabilities.taskId, req.taskId),
        eq(playbookTaskVulnerabilities.assetId, req.assetId),
      ),
    )
    .orderBy(asc(vulnerabilities.id));
  const gone = rows.filter((r) => r.status === 'fixed' || r.status === 'ignored');
  if (gone.length > 0) {
    await db
      .update(playbookTaskVulnerabilities)
      .set({ status: sql`case when ${vulnerabilities.status} = 'fixed' then 'fixed' else 'skipped' end` })
      .from(vulnerabilities)
      .where(
        and(
          eq(vulnerabilities.id, playbookTaskVulnerabilities.vulnerabilityId),
          eq(playbookTaskVulnerabilities.taskId, req.taskId),
          inArray(
            playbookTaskVulnerabilities.vulnerabilityId,
            gone.map((g) => g.vulnerabilityId),
          ),
        ),
      );
  }
  const [first] = rows;
  // What the asset's agent said it can fix at registration; without an agent nothing is refused here (the
  // offline precheck fails the asset instead).
  const fixes = first?.agentFixes ?? null;
  const canFix = (type: VulnerabilityType) => fixes === null || (fixes as readonly string[]).includes(type);
  const present: VulnerabilityToFix[] = rows
    .filter((r) => r.status === 'open' || r.status === 'fixing')
    .map(({ status: _s, agentLastSeenAt: _a, agentFixes: _f, ...v }) => v);
  const unsupported = present.filter((v) => !canFix(v.type));
  if (unsupported.length > 0) {
    await db
      .update(playbookTaskVulnerabilities)
      .set({ status: 'skipped', updatedAt: new Date() })
      .where(
        and(
          eq(playbookTaskVulnerabilities.taskId, req.taskId),
          eq(playbookTaskVulnerabilities.assetId, req.assetId),
          inArray(
            playbookTaskVulnerabilities.vulnerabilityId,
            unsupported.map((u) => u.vulnerabilityId),
          ),
        ),
      );
  }
  const agentOnline = first
    ? agentOnlineAt(first.agentLastSeenAt, new Date())
    : await agentOnlineWithoutFindings();
  return { agentOnline, vulnerabilities: present.filter((v) => canFix(v.type)), unsupported };
}
