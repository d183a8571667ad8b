import type { AgentExecutorName } from '../../domain/agent-jobs.js';
import {
  aptSpec,
  createPackageManagerExecutor,
  dnfSpec,
  type PackageManagerOptions,
} from './package-manager.js';
import { createSimulateExecutor, type SimulateOptions } from './simulate.js';
import type { Executor } from './types.js';

export type ExecutorOptions = PackageManagerOptions & SimulateOptions;

export function createExecutor(name: AgentExecutorName, opts: ExecutorOptions = {}): Executor {
  switch (name) {
    case 'apt':
      return createPackageManagerExecutor(aptSpec, opts);
    case 'dnf':
      return createPackageManagerExecutor(dnfSpec, opts);
    case 'simulate':
      return createSimulateExecutor(opts);
  }
}

export type { Executor, ExecutorOutcome, JobContext } from './types.js';
