import type { AgentExecutorName, TAgentCapabilities } from '../../domain/agent-jobs.js';
import { unappliedSettings } from '../../domain/agent-settings.js';
import { baselineSupport, runBaselineCheck, type BaselineOptions, type BaselineSupport } from './baseline.js';
import {
  aptSpec,
  createPackageManagerExecutor,
  dnfSpec,
  type PackageManagerOptions,
} from './package-manager.js';
import { createSimulateExecutor, type SimulateOptions } from './simulate.js';
import type { Executor } from './types.js';

export type ExecutorOptions = PackageManagerOptions & SimulateOptions & BaselineOptions;

export function createExecutor(name: AgentExecutorName, opts: ExecutorOptions = {}): Executor {
  switch (name) {
    case 'apt':
      return withHostChecks(createPackageManagerExecutor(aptSpec, opts), opts);
    case 'dnf':
      return withHostChecks(createPackageManagerExecutor(dnfSpec, opts), opts);
    case 'simulate':
      return withHostChecks(createSimulateExecutor(opts), opts);
  }
}

/**
 * What every executor shares on a real host (issue 16): `baseline` jobs run OpenSCAP whatever the package manager,
 * and a `configure` result says which settings this host could not apply. Whether OpenSCAP can run is found out
 * in `prepare` (before registration) and again before every check.
 */
export function withHostChecks(inner: Executor, opts: BaselineOptions): Executor {
  let support: BaselineSupport = { available: false, reason: 'not probed yet' };
  const capabilities = (dryRun: boolean): TAgentCapabilities => ({
    ...inner.capabilities(dryRun),
    baseline: support.available ? { available: true } : { available: false, reason: support.reason },
  });
  return {
    name: inner.name,
    capabilities,
    async prepare() {
      await inner.prepare?.();
      support = await baselineSupport(opts);
    },
    async run(job, ctx) {
      if (job.kind === 'baseline') return runBaselineCheck(job, ctx, opts);
      const outcome = await inner.run(job, ctx);
      // Only for the revision this host now runs: a superseded job's configuration is not what it runs.
      const applied = outcome.details.appliedRevision;
      if (job.kind !== 'configure' || outcome.exitCode !== 0 || applied !== job.payload.revision)
        return outcome;
      const unapplied = unappliedSettings(job.payload.config, capabilities(ctx.dryRun));
      for (const u of unapplied) ctx.output(`not applied: ${u.setting}: ${u.reason}\n`);
      return { ...outcome, details: { ...outcome.details, unapplied } };
    },
  };
}

export type { Executor, ExecutorOutcome, JobContext } from './types.js';
