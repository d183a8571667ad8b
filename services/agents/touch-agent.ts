import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { agents } from '../../db/schema/agents.js';
import { assets } from '../../db/schema/inventory.js';
import { AGENT_ONLINE_WINDOW_MS } from '../../domain/agent-jobs.js';
import { textArrayLiteral } from '../../db/inventory/finding-upserts.js';
import type { AgentCaller } from './agent-token-cache.js';

/**
 * Writes are skipped when the agent was seen this recently and its asset already shows online: half the online
 * window keeps the status exact (last write ≤ 45 s + one 30 s poll < 90 s) while an idle fleet's long polls write
 * only every other time.
 */
const TOUCH_RESOLUTION_MS = AGENT_ONLINE_WINDOW_MS / 2;

/** How long keep-alive touches of agents already online gather before one statement writes them all. */
export const TOUCH_FLUSH_MS = 1_000;
/** Agents per flush statement (well under the drivers' parameter limits). */
const TOUCH_FLUSH_CHUNK = 5_000;

interface TouchBatch {
  /** agent id → the (cached) caller */
  due: Map<string, AgentCaller>;
  timer: NodeJS.Timeout | null;
}
const touchBatches = new WeakMap<Database, TouchBatch>();

/**
 * Records that the agent was heard from: agent heartbeat time and the asset's online status. An agent coming online
 * is written at once; an online agent's keep-alive joins a batch written within `TOUCH_FLUSH_MS` (an idle fleet's
 * long polls would otherwise make this the most frequent write of all). A batch that fails is logged through
 * `onError`; its agents are written again on their next poll.
 */
export async function touchAgent(
  db: Database,
  agent: AgentCaller,
  onError: (err: unknown) => void,
): Promise<void> {
  const now = new Date();
  if (
    agent.assetOnline &&
    agent.lastHeartbeatAt &&
    now.getTime() - agent.lastHeartbeatAt.getTime() < TOUCH_RESOLUTION_MS
  ) {
    return;
  }
  if (agent.assetOnline) {
    let batch = touchBatches.get(db);
    if (!batch) {
      batch = { due: new Map(), timer: null };
      touchBatches.set(db, batch);
    }
    batch.due.set(agent.agentId, agent);
    batch.timer ??= setTimeout(() => {
      const due = [...batch.due.values()];
      batch.due = new Map();
      batch.timer = null;
      writeTouches(
        db,
        due.map((a) => a.agentId),
        due.map((a) => a.assetId),
        new Date(),
      ).catch((err: unknown) => {
        // Written again on the agents' next polls: their cached callers forget the write that failed.
        for (const a of due) a.lastHeartbeatAt = null;
        onError(err);
      });
    }, TOUCH_FLUSH_MS);
    batch.timer.unref();
  } else {
    await writeTouches(db, [agent.agentId], [agent.assetId], now);
  }
  // The cached caller (the same object) now knows it was heard from, so the next polls skip the write.
  agent.lastHeartbeatAt = now;
  agent.assetOnline = true;
}

/**
 * One round trip for both tables per chunk. The ids travel as one uuid[] parameter each, not one bind parameter per
 * id: an idle fleet flushes ~300 agents a second, and building and sending an `in` list of that many parameters was
 * the costliest part of a flush.
 */
async function writeTouches(db: Database, agentIds: string[], assetIds: string[], now: Date): Promise<void> {
  for (let i = 0; i < agentIds.length; i += TOUCH_FLUSH_CHUNK) {
    const ids = (values: string[]) =>
      sql`any(${textArrayLiteral(values.slice(i, i + TOUCH_FLUSH_CHUNK))}::uuid[])`;
    const touched = db.$with('touched').as(
      db
        .update(agents)
        .set({ lastHeartbeatAt: now })
        .where(sql`${agents.id} = ${ids(agentIds)}`)
        .returning({ id: agents.id }),
    );
    await db
      .with(touched)
      .update(assets)
      .set({ agentStatus: 'online', lastSeenAt: now })
      .where(sql`${assets.id} = ${ids(assetIds)}`);
  }
}
