import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TAgentJob } from '../../domain/agent-jobs.js';
import type { ExecutorOutcome, JobContext } from './types.js';

/**
 * `configure` is the same for every executor: the configuration and its revision are written (atomically) to the
 * state folder, where the host's security tooling reads them; the applied revision is reported back.
 */
export async function applyConfiguration(job: TAgentJob, ctx: JobContext): Promise<ExecutorOutcome> {
  const revision = job.payload.revision ?? null;
  const config = job.payload.config ?? {};
  if (ctx.dryRun) {
    ctx.output(`dry run: would apply configuration revision ${String(revision)}\n`);
    return { exitCode: 0, details: { appliedRevision: null, dryRun: true } };
  }
  if (ctx.stateDir) {
    const file = path.join(ctx.stateDir, 'config.json');
    await mkdir(ctx.stateDir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify({ revision, config, appliedAt: new Date().toISOString() }, null, 2), {
      mode: 0o600,
    });
    await rename(tmp, file);
    ctx.output(`applied configuration revision ${String(revision)} to ${file}\n`);
  } else {
    ctx.output(`applied configuration revision ${String(revision)} (kept in memory)\n`);
  }
  return { exitCode: 0, details: { appliedRevision: revision } };
}
