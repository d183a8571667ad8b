import type { Database } from '../../db/client.js';
import type { AgentCaller } from './agent-token-cache.js';
import { claimNextJob } from './claim-next-job.js';
import { failLostJobs } from './fail-lost-jobs.js';
import { inspectAgentJobs } from './inspect-agent-jobs.js';
import type { AgentJobRow, DeliveryDeps } from './job-delivery.js';
import {
  forgetEmptyLook,
  jobGeneration,
  knownEmpty,
  rememberEmptyLook,
  waitForJob,
  type PendingProbe,
  type WaitSignal,
} from './job-notifier.js';
import { pendingProbe } from './pending-probe.js';

const probes = new WeakMap<Database, PendingProbe>();

/** One shared pending-jobs probe per database, however many polls wait on it. */
function probeFor(deps: DeliveryDeps): PendingProbe {
  let probe = probes.get(deps.db);
  if (!probe) {
    probe = pendingProbe(deps);
    probes.set(deps.db, probe);
  }
  return probe;
}

/**
 * An agent's long poll (`GET /agent/v1/jobs`): the next job of its asset, claimed for it, or null when none came
 * within `waitSeconds` or the client went away (`signal`). Jobs the agent holds while asking for work are lost ones
 * and fail first.
 */
export async function pollAgentJobs(opts: {
  deps: DeliveryDeps;
  agent: AgentCaller;
  waitSeconds: number;
  signal: WaitSignal;
  dbDriver: 'pglite' | 'postgres';
}): Promise<AgentJobRow | null> {
  const { deps, agent, signal } = opts;
  const deadline = Date.now() + opts.waitSeconds * 1000;
  let since = jobGeneration(agent.assetId);
  let look = false;
  // A client that went away while its poll queued (a fleet reconnecting at once) gets no answer: skip its look.
  if (signal.aborted) return null;
  // The usual idle poll costs no query (an earlier poll found nothing and no job came since) or one.
  if (!knownEmpty(agent.assetId, opts.dbDriver)) {
    const found = await inspectAgentJobs(deps, agent);
    if (found.held) await failLostJobs(deps, agent);
    look = found.held || found.claimable;
    if (!look) rememberEmptyLook(agent.assetId, since);
  }
  for (;;) {
    if (look) {
      const lookedAt = since;
      const job = await claimNextJob(deps, agent);
      if (job) {
        forgetEmptyLook(agent.assetId);
        return job;
      }
      rememberEmptyLook(agent.assetId, lookedAt);
    }
    const left = deadline - Date.now();
    if (left <= 0 || signal.aborted) return null;
    // Woken: a job may be there. Not woken: the wait is over (the deadline check above answers null).
    look = await waitForJob({ assetId: agent.assetId, waitMs: left, probe: probeFor(deps), signal, since });
    since = jobGeneration(agent.assetId);
  }
}
