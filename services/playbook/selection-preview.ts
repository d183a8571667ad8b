import { and, eq, inArray } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { agents } from '../../db/schema/agents.js';
import type { vulnerabilities } from '../../db/schema/findings.js';
import { assets } from '../../db/schema/inventory.js';
import { FIXABLE_VULNERABILITY_TYPES } from '../../domain/playbook/policy.js';
import {
  fixAvailability,
  type AgentOfAsset,
  type FixTab,
  type TPreviewTab,
  type TSelectionPreview,
} from '../../domain/playbook/task-selection.js';

export type { TSelectionPreview };

const CHUNK = 1000;

interface Unit {
  vulnerabilityId: string;
  assetId: string;
  type: string;
  name: string;
}

const keyOf = (v: { type: string; name: string }) => `${v.type}\u0000${v.name}`;

/**
 * The per-tab picture of a planned task (Linux / Windows / Web-CMS): each distinct vulnerability with how many chosen
 * assets have it and how many cannot have it fixed, and each asset with what its agent can fix. Lists are in a fixed
 * order (vulnerabilities by name, assets by id — the dispatch order) so that a preview and a create compare equal.
 */
export async function selectionPreview(
  db: Database,
  opts: {
    accountId: string;
    assetIds: string[];
    units: Unit[];
    selected: (typeof vulnerabilities.$inferSelect)[];
  },
): Promise<TSelectionPreview> {
  const hosts = new Map<
    string,
    { name: string; hostname: string; agentStatus: 'online' | 'offline' | 'none' }
  >();
  const agentOf = new Map<string, AgentOfAsset>();
  for (let i = 0; i < opts.assetIds.length; i += CHUNK) {
    const ids = opts.assetIds.slice(i, i + CHUNK);
    const [assetRows, agentRows] = await Promise.all([
      db
        .select({
          id: assets.id,
          name: assets.name,
          hostname: assets.hostname,
          agentStatus: assets.agentStatus,
        })
        .from(assets)
        .where(and(eq(assets.accountId, opts.accountId), inArray(assets.id, ids))),
      db
        .select({ assetId: agents.assetId, executor: agents.executor, capabilities: agents.capabilities })
        .from(agents)
        .where(and(eq(agents.accountId, opts.accountId), inArray(agents.assetId, ids))),
    ]);
    for (const a of assetRows) hosts.set(a.id, a);
    for (const a of agentRows) agentOf.set(a.assetId, a);
  }
  // The selected row that names each distinct vulnerability (the lowest id when several name the same one).
  const named = new Map<string, (typeof opts.selected)[number]>();
  for (const v of [...opts.selected].sort((a, b) => a.id.localeCompare(b.id))) {
    if (!named.has(keyOf(v))) named.set(keyOf(v), v);
  }

  const tabs: Record<FixTab, TPreviewTab> = {
    linux: { vulnerabilities: [], assets: [] },
    windows: { vulnerabilities: [], assets: [] },
    webcms: { vulnerabilities: [], assets: [] },
  };
  for (const tab of FIXABLE_VULNERABILITY_TYPES) {
    const mine = opts.units.filter((u) => u.type === tab);
    const perVuln = new Map<string, { assets: number; unsupported: number }>();
    const perAsset = new Map<string, number>();
    for (const u of mine) {
      const supported = fixAvailability(agentOf.get(u.assetId) ?? null, tab) === 'supported';
      const c = perVuln.get(keyOf(u)) ?? { assets: 0, unsupported: 0 };
      c.assets++;
      if (!supported) c.unsupported++;
      perVuln.set(keyOf(u), c);
      perAsset.set(u.assetId, (perAsset.get(u.assetId) ?? 0) + 1);
    }
    for (const [key, c] of perVuln) {
      const v = named.get(key);
      if (!v) continue; // a unit exists only for a selected key (resolveUnits), so this does not happen
      tabs[tab].vulnerabilities.push({
        id: v.id,
        name: v.name,
        title: v.title,
        severity: v.severity,
        packageName: v.packageName,
        ...c,
      });
    }
    tabs[tab].vulnerabilities.sort((a, b) => a.name.localeCompare(b.name));
    for (const id of [...perAsset.keys()].sort()) {
      const host = hosts.get(id);
      if (!host) continue;
      tabs[tab].assets.push({
        id,
        ...host,
        vulnerabilities: perAsset.get(id) ?? 0,
        fix: fixAvailability(agentOf.get(id) ?? null, tab),
      });
    }
  }
  return {
    assetCount: opts.assetIds.length,
    vulnerabilityCount: named.size,
    units: opts.units.length,
    tabs,
  };
}
