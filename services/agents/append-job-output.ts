import { and, eq, sql } from 'drizzle-orm';
import { agentJobs } from '../../db/schema/agents.js';
import type { TOutputChunk } from '../../domain/agent-jobs.js';
import type { AgentJobRow, DeliveryDeps } from './job-delivery.js';

export type AppendOutcome = { ok: true; length: number } | { ok: false; expectedOffset: number };

/**
 * Appends an output chunk exactly once: a chunk already stored (same offset) is skipped, an overlapping one adds
 * only its new part, and a gap is refused with the offset the agent must resend from.
 */
export async function appendJobOutput(
  deps: DeliveryDeps,
  job: AgentJobRow,
  chunk: TOutputChunk,
): Promise<AppendOutcome> {
  let length = job.outputLength;
  for (let tries = 0; tries < 5; tries++) {
    if (chunk.offset > length) return { ok: false, expectedOffset: length };
    const fresh = chunk.data.slice(length - chunk.offset);
    if (fresh.length === 0) return { ok: true, length };
    const [row] = await deps.db
      .update(agentJobs)
      .set({ output: sql`${agentJobs.output} || ${fresh}`, outputLength: length + fresh.length })
      .where(
        and(eq(agentJobs.id, job.id), eq(agentJobs.outputLength, length), eq(agentJobs.status, 'running')),
      )
      .returning({ outputLength: agentJobs.outputLength });
    if (row) return { ok: true, length: row.outputLength };
    const [now] = await deps.db
      .select({ outputLength: agentJobs.outputLength, status: agentJobs.status })
      .from(agentJobs)
      .where(eq(agentJobs.id, job.id));
    if (!now || now.status !== 'running') return { ok: true, length: now?.outputLength ?? length };
    length = now.outputLength;
  }
  return { ok: false, expectedOffset: length };
}
