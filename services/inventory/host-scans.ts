import { and, eq, notInArray, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { recordAudit } from '../../db/audit.js';
import { agentJobs, agents } from '../../db/schema/agents.js';
import { vulnerabilities } from '../../db/schema/findings.js';
import { assets } from '../../db/schema/inventory.js';
import { vulnerabilitySeenAgain } from './ingest-findings.js';
import { memberSettingsRevisions } from '../../db/schema/multi-account.js';
import {
  ZHostInventorySchema,
  DEFAULT_SCAN_CYCLE_DAYS,
  type THostFinding,
} from '../../domain/host-findings.js';

/** Rows per upsert statement (parameters stay far below Postgres' 65,535 limit). */
const CHUNK = 500;

export interface HostScanOutcome {
  /** Findings the agent reported. */
  reported: number;
  created: number;
  /** Seen before (open again if it had been fixed). */
  updated: number;
  /** The agent's earlier findings it no longer sees: closed as fixed (outside Vigil when no task fixed them). */
  closed: number;
}

/**
 * Keeps an asset's agent-reported vulnerabilities equal to what its latest scan found (DESIGN §5 "Detection"):
 * upserts every finding by its natural key (asset, type `linux`, name), reopens one that was fixed, and closes the
 * open ones the host no longer has as fixed outside Vigil. Findings posted through the API are left alone, and so are
 * ignored ones and those a task is fixing right now. Idempotent: the same scan applied twice changes nothing more.
 */
export async function reconcileHostFindings(
  db: Database,
  opts: { accountId: string; assetId: string; findings: THostFinding[]; scannedAt?: Date; actor: string },
): Promise<HostScanOutcome> {
  const { accountId, assetId } = opts;
  const now = opts.scannedAt ?? new Date();
  const byName = new Map(opts.findings.map((f) => [f.name, f]));
  const findings = [...byName.values()];
  return db.transaction(async (tx) => {
    let created = 0;
    let updated = 0;
    for (let i = 0; i < findings.length; i += CHUNK) {
      const rows = await tx
        .insert(vulnerabilities)
        .values(
          findings.slice(i, i + CHUNK).map((f) => ({
            accountId,
            assetId,
            type: 'linux' as const,
            name: f.name,
            title: f.title,
            cveIds: f.cveIds,
            severity: f.severity,
            fixable: true,
            packageName: f.packageName,
            installedVersion: f.installedVersion,
            fixedVersion: f.fixedVersion,
            advisory: f.advisory,
            source: 'agent' as const,
            status: 'open' as const,
            firstSeenAt: now,
            lastSeenAt: now,
            latestScanAt: now,
          })),
        )
        .onConflictDoUpdate({
          target: [
            vulnerabilities.accountId,
            vulnerabilities.assetId,
            vulnerabilities.type,
            vulnerabilities.name,
          ],
          set: {
            ...vulnerabilitySeenAgain,
            fixable: sql`true`,
            advisory: sql`excluded.advisory`,
            source: sql`'agent'`,
            // The host still misses the update: a "fixed" one is open again; ignored and fixing stay as they are.
            status: sql`case when ${vulnerabilities.status} = 'fixed' then 'open' else ${vulnerabilities.status} end`,
            fixedAt: sql`case when ${vulnerabilities.status} = 'fixed' then null else ${vulnerabilities.fixedAt} end`,
            fixedOutsideVigil: sql`false`,
            updatedAt: sql`now()`,
          },
        })
        .returning({ inserted: sql<boolean>`(xmax = 0)` });
      for (const r of rows) {
        if (r.inserted) created++;
        else updated++;
      }
    }
    const names = findings.map((f) => f.name);
    const closedRows = await tx
      .update(vulnerabilities)
      .set({ status: 'fixed', fixedAt: now, latestScanAt: now, fixedOutsideVigil: true, updatedAt: now })
      .where(
        and(
          eq(vulnerabilities.accountId, accountId),
          eq(vulnerabilities.assetId, assetId),
          eq(vulnerabilities.type, 'linux'),
          eq(vulnerabilities.source, 'agent'),
          eq(vulnerabilities.status, 'open'),
          ...(names.length > 0 ? [notInArray(vulnerabilities.name, names)] : []),
        ),
      )
      .returning({ id: vulnerabilities.id });
    const outcome = { reported: opts.findings.length, created, updated, closed: closedRows.length };
    await tx
      .update(assets)
      .set({ updatedAt: now })
      .where(and(eq(assets.accountId, accountId), eq(assets.id, assetId)));
    await recordAudit(tx, {
      accountId,
      actor: opts.actor,
      action: 'vulnerability.host_scan',
      targetType: 'asset',
      targetId: assetId,
      after: outcome,
    });
    return outcome;
  });
}

/** Applies a finished scan job's inventory (`details.inventory`) to its asset. */
export async function reconcileScanJob(
  db: Database,
  opts: { accountId: string; jobId: string; actor: string },
): Promise<HostScanOutcome> {
  const [job] = await db
    .select({ assetId: agentJobs.assetId, details: agentJobs.details, status: agentJobs.status })
    .from(agentJobs)
    .where(and(eq(agentJobs.accountId, opts.accountId), eq(agentJobs.id, opts.jobId)));
  if (!job) throw new Error(`scan job ${opts.jobId} does not exist`);
  if (job.status !== 'succeeded') throw new Error(`scan job ${opts.jobId} did not succeed (${job.status})`);
  const parsed = ZHostInventorySchema.safeParse((job.details ?? {}).inventory);
  if (!parsed.success)
    throw new Error(`scan job ${opts.jobId} reported no valid inventory: ${parsed.error.message}`);
  return reconcileHostFindings(db, {
    accountId: opts.accountId,
    assetId: job.assetId,
    findings: parsed.data.findings,
    actor: opts.actor,
  });
}

/**
 * Days between two scans of an account's hosts: the member protection settings' `scanCycleDays` (their latest
 * revision) when an administrator saved some, else the default.
 */
export async function scanCycleDays(db: Database, accountId: string): Promise<number> {
  const [latest] = await db
    .select({ settings: memberSettingsRevisions.settings })
    .from(memberSettingsRevisions)
    .where(eq(memberSettingsRevisions.accountId, accountId))
    .orderBy(sql`${memberSettingsRevisions.revision} desc`)
    .limit(1);
  const days = (latest?.settings as { vulnerabilityManagement?: { scanCycleDays?: unknown } } | undefined)
    ?.vulnerabilityManagement?.scanCycleDays;
  return typeof days === 'number' && Number.isInteger(days) && days > 0 ? days : DEFAULT_SCAN_CYCLE_DAYS;
}

/** The asset's name and its agent's executor (null: no agent), for the on-demand scan route and summaries. */
export async function scannableAsset(db: Database, accountId: string, assetId: string) {
  const [row] = await db
    .select({ id: assets.id, name: assets.name, executor: agents.executor })
    .from(assets)
    .leftJoin(agents, eq(agents.assetId, assets.id))
    .where(and(eq(assets.accountId, accountId), eq(assets.id, assetId)));
  return row ?? null;
}
