import { and, eq, inArray, or, sql } from 'drizzle-orm';
import { assetConditions } from '../../activities/inventory/assets.js';
import { recordAudit } from '../../db/audit.js';
import type { Database } from '../../db/client.js';
import { vulnerabilities } from '../../db/schema/findings.js';
import { assetGroupMembers, assetGroups, assets } from '../../db/schema/inventory.js';
import { notificationChannels } from '../../db/schema/notifications.js';
import {
  playbookPolicies,
  playbookTaskAssets,
  playbookTasks,
  playbookTaskVulnerabilities,
} from '../../db/schema/playbook.js';
import { FIXABLE_VULNERABILITY_TYPES, MAX_TASK_VULNERABILITIES } from '../../domain/playbook/policy.js';
import type { TCreateTaskBody } from '../../domain/playbook/task-input.js';
import { resolveWindow, type TMaintenanceWindow } from '../../domain/playbook/window.js';
import { notFound, unprocessable } from '../errors.js';

const CHUNK = 1000;

type Actor = { accountId: string; actor: string; requestId: string };

async function resolveAssetIds(
  db: Database,
  accountId: string,
  sel: TCreateTaskBody['assets'],
): Promise<string[]> {
  const ids = new Set<string>();
  if (sel.groupIds.length > 0) {
    const groups = await db
      .select({ id: assetGroups.id })
      .from(assetGroups)
      .where(and(eq(assetGroups.accountId, accountId), inArray(assetGroups.id, sel.groupIds)));
    const unknown = sel.groupIds.filter((g) => !groups.some((x) => x.id === g));
    if (unknown.length > 0) throw unprocessable('unknown asset groups', { groupIds: unknown });
    const members = await db
      .select({ assetId: assetGroupMembers.assetId })
      .from(assetGroupMembers)
      .where(
        and(eq(assetGroupMembers.accountId, accountId), inArray(assetGroupMembers.groupId, sel.groupIds)),
      );
    for (const m of members) ids.add(m.assetId);
  }
  if (sel.assetIds.length > 0) {
    const found = new Set<string>();
    for (let i = 0; i < sel.assetIds.length; i += CHUNK) {
      const rows = await db
        .select({ id: assets.id })
        .from(assets)
        .where(and(eq(assets.accountId, accountId), inArray(assets.id, sel.assetIds.slice(i, i + CHUNK))));
      for (const r of rows) found.add(r.id);
    }
    const unknown = sel.assetIds.filter((a) => !found.has(a));
    if (unknown.length > 0) throw unprocessable('unknown assets', { assetIds: unknown });
    for (const a of found) ids.add(a);
  }
  if (sel.search !== undefined) {
    const rows = await db
      .select({ id: assets.id })
      .from(assets)
      .where(and(...assetConditions({ accountId, search: sel.search })));
    for (const r of rows) ids.add(r.id);
  }
  return [...ids];
}

interface Unit {
  vulnerabilityId: string;
  assetId: string;
}

/**
 * The (asset, vulnerability) units of a task: every open, fixable row on a chosen asset whose type and name match a
 * selected vulnerability. Offending selected ids (unknown, not fixable, no longer present, or on none of the chosen
 * assets) are a 422 that names them.
 */
async function resolveUnits(
  db: Database,
  accountId: string,
  vulnIds: string[],
  assetIds: string[],
): Promise<{ units: Unit[]; distinct: number }> {
  const wanted = [...new Set(vulnIds)];
  const selected = await db
    .select()
    .from(vulnerabilities)
    .where(and(eq(vulnerabilities.accountId, accountId), inArray(vulnerabilities.id, wanted)));
  const offending: { id: string; reason: string }[] = [];
  for (const id of wanted) {
    const v = selected.find((s) => s.id === id);
    if (!v) offending.push({ id, reason: 'not found' });
    else if (!(FIXABLE_VULNERABILITY_TYPES as readonly string[]).includes(v.type) || !v.fixable) {
      offending.push({ id, reason: `not fixable (${v.type}${v.fixable ? '' : ', no fix available'})` });
    } else if (v.status === 'fixed' || v.status === 'ignored')
      offending.push({ id, reason: `not present (${v.status})` });
  }
  const keys = [
    ...new Map(selected.map((v) => [`${v.type}\u0000${v.name}`, { type: v.type, name: v.name }])).values(),
  ];
  if (keys.length > MAX_TASK_VULNERABILITIES) {
    throw unprocessable(
      `a task fixes at most ${MAX_TASK_VULNERABILITIES} vulnerabilities; ${keys.length} were selected`,
      {
        limit: MAX_TASK_VULNERABILITIES,
        selected: keys.length,
      },
    );
  }
  const units: Unit[] = [];
  const present = new Set<string>();
  for (let i = 0; i < assetIds.length && keys.length > 0; i += CHUNK) {
    const rows = await db
      .select({
        id: vulnerabilities.id,
        assetId: vulnerabilities.assetId,
        type: vulnerabilities.type,
        name: vulnerabilities.name,
      })
      .from(vulnerabilities)
      .where(
        and(
          eq(vulnerabilities.accountId, accountId),
          inArray(vulnerabilities.assetId, assetIds.slice(i, i + CHUNK)),
          eq(vulnerabilities.fixable, true),
          inArray(vulnerabilities.status, ['open', 'fixing']),
          or(...keys.map((k) => and(eq(vulnerabilities.type, k.type), eq(vulnerabilities.name, k.name)))),
        ),
      );
    for (const r of rows) {
      units.push({ vulnerabilityId: r.id, assetId: r.assetId });
      present.add(`${r.type}\u0000${r.name}`);
    }
  }
  for (const v of selected) {
    if (!offending.some((o) => o.id === v.id) && !present.has(`${v.type}\u0000${v.name}`)) {
      offending.push({ id: v.id, reason: 'not present on any chosen asset' });
    }
  }
  if (offending.length > 0)
    throw unprocessable('some vulnerabilities cannot be fixed by this task', { vulnerabilities: offending });
  return { units, distinct: keys.length };
}

/**
 * Creates a fix task from a policy (seed "Create a task"): assets and vulnerabilities resolved now and stored, the
 * window validated, the row, its assets (execution 1, Pending) and units written with the audit row in one
 * transaction. The caller then starts its workflow (`startTaskWorkflow`).
 */
export async function createFixTask(
  db: Database,
  opts: Actor & { policyId: string; body: TCreateTaskBody; now?: Date },
): Promise<typeof playbookTasks.$inferSelect> {
  const { accountId, body } = opts;
  const [policy] = await db
    .select()
    .from(playbookPolicies)
    .where(and(eq(playbookPolicies.accountId, accountId), eq(playbookPolicies.id, opts.policyId)));
  if (!policy) throw notFound('policy');

  let window: TMaintenanceWindow | null = null;
  if (body.execution.mode === 'window') {
    const r = resolveWindow(body.execution, {
      now: opts.now ?? new Date(),
      cutoffMinutes: policy.params.cutoffMinutes,
    });
    if (!r.ok)
      throw unprocessable(`invalid maintenance window: ${r.problems.join('; ')}`, { problems: r.problems });
    window = r.window;
  }
  if (body.channelIds.length > 0) {
    const channels = await db
      .select({ id: notificationChannels.id })
      .from(notificationChannels)
      .where(
        and(eq(notificationChannels.accountId, accountId), inArray(notificationChannels.id, body.channelIds)),
      );
    const unknown = body.channelIds.filter((c) => !channels.some((x) => x.id === c));
    if (unknown.length > 0) throw unprocessable('unknown notification channels', { channelIds: unknown });
  }
  const chosen = await resolveAssetIds(db, accountId, body.assets);
  if (chosen.length === 0) throw unprocessable('the asset selection matches no asset');
  const { units, distinct } = await resolveUnits(db, accountId, body.vulnerabilityIds, chosen);
  // Only assets with something to fix take part; the order of dispatch is the order of their ids.
  const assetIds = [...new Set(units.map((u) => u.assetId))].sort();
  const startAt = window?.startAt ?? null;
  const status =
    startAt && startAt.getTime() > (opts.now ?? new Date()).getTime() ? 'Waiting' : 'Progressing';

  return db.transaction(async (tx) => {
    const [task] = await tx
      .insert(playbookTasks)
      .values({
        accountId,
        policyId: policy.id,
        name: body.name,
        params: policy.params,
        status,
        mode: body.execution.mode,
        windowStart: window?.startAt ?? null,
        windowEnd: window?.endAt ?? null,
        timeZone: window?.timeZone ?? null,
        selection: {
          groupIds: body.assets.groupIds,
          assetIds: body.assets.assetIds,
          search: body.assets.search ?? null,
        },
        channelIds: body.channelIds,
        assetCount: assetIds.length,
        vulnerabilityCount: distinct,
        createdBy: opts.actor,
        startedAt: status === 'Progressing' ? sql`now()` : null,
      })
      .returning();
    if (!task) throw new Error('task row was not written');
    for (let i = 0; i < assetIds.length; i += CHUNK) {
      await tx
        .insert(playbookTaskAssets)
        .values(
          assetIds
            .slice(i, i + CHUNK)
            .map((assetId, j) => ({ accountId, taskId: task.id, execution: 1, assetId, position: i + j })),
        );
    }
    for (let i = 0; i < units.length; i += CHUNK) {
      await tx
        .insert(playbookTaskVulnerabilities)
        .values(units.slice(i, i + CHUNK).map((u) => ({ accountId, taskId: task.id, ...u })));
    }
    await recordAudit(tx, {
      accountId,
      actor: opts.actor,
      requestId: opts.requestId,
      action: 'playbook_task.create',
      targetType: 'playbook_task',
      targetId: task.id,
      after: { ...task, units: units.length },
    });
    return task;
  });
}
