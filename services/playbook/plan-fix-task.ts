import { and, eq, inArray, or } from 'drizzle-orm';
import { containsSearch } from '../inventory/asset-views.js';
import type { Database } from '../../db/client.js';
import { vulnerabilities } from '../../db/schema/findings.js';
import { assetGroupMembers, assetGroups, assets } from '../../db/schema/inventory.js';
import { notificationChannels } from '../../db/schema/notifications.js';
import { playbookPolicies } from '../../db/schema/playbook.js';
import { FIXABLE_VULNERABILITY_TYPES, MAX_TASK_VULNERABILITIES } from '../../domain/playbook/policy.js';
import type { TCreateTaskBody } from '../../domain/playbook/task-input.js';
import { resolveWindow, type TMaintenanceWindow } from '../../domain/playbook/window.js';
import { notFound, unprocessable } from '../../domain/errors.js';
import { selectionPreview, type TSelectionPreview } from './selection-preview.js';

export const CHUNK = 1000;

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
    // Contains, never merely similar: a fix task touches hosts, so "demo-17" must not pull in demo-11 (the asset
    // list's fuzzy search is for finding, not for choosing what gets patched).
    const rows = await db
      .select({ id: assets.id })
      .from(assets)
      .where(and(eq(assets.accountId, accountId), containsSearch(sel.search)));
    for (const r of rows) ids.add(r.id);
  }
  for (const excluded of sel.excludeAssetIds) ids.delete(excluded);
  return [...ids];
}

export interface PlannedUnit {
  vulnerabilityId: string;
  assetId: string;
  type: string;
  name: string;
}
type SelectedVulnerability = typeof vulnerabilities.$inferSelect;

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
): Promise<{ units: PlannedUnit[]; distinct: number; selected: SelectedVulnerability[] }> {
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
  const units: PlannedUnit[] = [];
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
      units.push({ vulnerabilityId: r.id, assetId: r.assetId, type: r.type, name: r.name });
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
  return { units, distinct: keys.length, selected };
}

/** Everything a task would be, resolved and validated but not written: what the preview shows and create stores. */
export interface FixTaskPlan {
  policy: typeof playbookPolicies.$inferSelect;
  window: TMaintenanceWindow | null;
  status: 'Waiting' | 'Progressing';
  /** In dispatch order (by id); only assets with something to fix. */
  assetIds: string[];
  units: PlannedUnit[];
  distinct: number;
  preview: TSelectionPreview;
}

/**
 * Resolves a task body (seed "Create a task"): policy, window, channels, assets and (asset, vulnerability) units,
 * and the per-tab preview of them. The one computation behind both preview and create, so that what the preview
 * shows is what create stores.
 */
export async function planFixTask(
  db: Database,
  opts: { accountId: string; policyId: string; body: TCreateTaskBody; now?: Date },
): Promise<FixTaskPlan> {
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
  const { units, distinct, selected } = await resolveUnits(db, accountId, body.vulnerabilityIds, chosen);
  // Only assets with something to fix take part; the order of dispatch is the order of their ids.
  const assetIds = [...new Set(units.map((u) => u.assetId))].sort();
  const startAt = window?.startAt ?? null;
  const status =
    startAt && startAt.getTime() > (opts.now ?? new Date()).getTime() ? 'Waiting' : 'Progressing';
  const preview = await selectionPreview(db, { accountId, assetIds, units, selected });
  return { policy, window, status, assetIds, units, distinct, preview };
}
