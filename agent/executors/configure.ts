import path from 'node:path';
import type { TAgentJob } from '../../domain/agent-jobs.js';
import { readIfExists, writeStateFile } from '../state.js';
import type { ExecutorOutcome, JobContext } from './types.js';

const CONFIG_FILE = 'config.json';

/** The revision recorded in the state folder's configuration file, or null when there is none (yet). */
async function storedRevision(stateDir: string | null): Promise<number | null> {
  const text = stateDir ? await readIfExists(path.join(stateDir, CONFIG_FILE)) : null;
  if (text === null) return null;
  const revision = (JSON.parse(text) as { revision?: unknown }).revision;
  return typeof revision === 'number' && Number.isInteger(revision) ? revision : null;
}

/**
 * `configure` is the same for every executor: the configuration and its revision are written (atomically) to the
 * state folder, where the host's security tooling reads them; the applied revision is reported back.
 *
 * Revisions only move forward: a job whose revision is not newer than the one this host runs (a late job of a
 * superseded rollout, or a retry after a lost result) changes nothing and reports the revision the host keeps,
 * with `outcome: 'superseded'` (older) or `'unchanged'` (the same). The applied revision is read from the state
 * folder, so it survives restarts; without a state folder it is remembered by this executor instance.
 */
export function createConfigurationApplier(): (job: TAgentJob, ctx: JobContext) => Promise<ExecutorOutcome> {
  let remembered: number | null = null;
  return async (job, ctx) => {
    const revision = job.payload.revision;
    const config = job.payload.config ?? {};
    if (typeof revision !== 'number' || !Number.isInteger(revision) || revision < 1) {
      ctx.output(`configure job without a valid revision (${JSON.stringify(revision)}); nothing applied\n`);
      return { exitCode: 1, details: { error: 'payload.revision must be a positive integer' } };
    }
    if (ctx.dryRun) {
      ctx.output(`dry run: would apply configuration revision ${revision}\n`);
      return { exitCode: 0, details: { appliedRevision: null, dryRun: true } };
    }
    const stored = await storedRevision(ctx.stateDir);
    const current = Math.max(stored ?? 0, remembered ?? 0) || null;
    if (current !== null && revision <= current) {
      const outcome = revision < current ? 'superseded' : 'unchanged';
      ctx.output(
        `configuration revision ${revision} is ${outcome === 'superseded' ? 'older than' : 'the same as'} the applied revision ${current}; nothing changed\n`,
      );
      return { exitCode: 0, details: { appliedRevision: current, outcome } };
    }
    if (ctx.stateDir) {
      const file = await writeStateFile(
        ctx.stateDir,
        CONFIG_FILE,
        JSON.stringify({ revision, config, appliedAt: new Date().toISOString() }, null, 2),
      );
      ctx.output(`applied configuration revision ${revision} to ${file}\n`);
    } else {
      ctx.output(`applied configuration revision ${revision} (kept in memory)\n`);
    }
    remembered = revision;
    return { exitCode: 0, details: { appliedRevision: revision } };
  };
}
