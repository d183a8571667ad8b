import { and, eq, gte, sql } from 'drizzle-orm';
import { auditLog } from '../../db/schema/audit.js';
import { signatureClusters } from '../../db/schema/signature.js';
import { uuidv7 } from '../../domain/ids.js';
import type { BreakGlassEvent } from '../../domain/signature/break-glass.js';
import type { Services } from '../../platform/services.js';
import { BREAK_GLASS_AUDIT_ACTION, notifyBreakGlass } from './notify-break-glass.js';

/**
 * How far back the repair looks. Notifications are deduplicated by their delivery ledger (channel, workflow id),
 * so a row seen by many runs is notified once; the window only bounds the work of each run.
 */
export const BREAK_GLASS_REPAIR_WINDOW_MS = 24 * 60 * 60 * 1000;

const text = (v: unknown, fallback: string): string => (typeof v === 'string' ? v : fallback);

/**
 * The break-glass audit row is the notification's outbox: it is written before the admission is answered and holds
 * the whole event. Every row of the window gets its workflow started under the deterministic id; one already
 * started (by the admission itself, or an earlier run) is refused by the id, so only a start lost to a crash or a
 * Temporal outage happens here. Returns how many were started.
 */
export async function startBreakGlassNotifications(
  services: Pick<Services, 'db' | 'temporal' | 'taskQueues' | 'publicUrl'>,
  opts: { now?: number } = {},
): Promise<number> {
  const since = (opts.now ?? Date.now()) - BREAK_GLASS_REPAIR_WINDOW_MS;
  const rows = await services.db
    .select({
      accountId: auditLog.accountId,
      clusterId: auditLog.targetId,
      requestId: auditLog.requestId,
      after: auditLog.after,
      clusterName: signatureClusters.name,
    })
    .from(auditLog)
    .leftJoin(signatureClusters, sql`${signatureClusters.id}::text = ${auditLog.targetId}`)
    // Ids are UUIDv7, ordered by time: the primary key bounds the scan to the window.
    .where(
      and(
        gte(auditLog.id, `${uuidv7(since).slice(0, 13)}-0000-0000-000000000000`),
        eq(auditLog.action, BREAK_GLASS_AUDIT_ACTION),
      ),
    );
  let started = 0;
  for (const row of rows) {
    if (!row.clusterId) continue;
    const after = (row.after ?? {}) as Record<string, unknown>;
    const event: BreakGlassEvent = {
      accountId: row.accountId,
      clusterId: row.clusterId,
      clusterName: text(after.clusterName, row.clusterName ?? row.clusterId),
      podOrRequestUid: text(after.podOrRequestUid, row.requestId ?? ''),
      namespace: text(after.namespace, ''),
      kind: text(after.kind, 'Pod'),
      name: text(after.name, ''),
      user: text(after.user, 'unknown user'),
      justification: text(after.justification, ''),
      deniedBecause: text(after.deniedBecause, ''),
    };
    if (event.podOrRequestUid === '') continue;
    if (await notifyBreakGlass(services, event)) started++;
  }
  return started;
}
