import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

export const workflowsPath = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../workflows/index.ts',
);
/** Where `npm run build` writes the production bundle. */
export const prebuiltBundlePath = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../dist/workflow-bundle.js',
);

let bundling: Promise<WorkflowBundleWithSourceMap> | undefined;

/** Webpack runs once per process; every worker of the process shares the bundle. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundling ??= bundleWorkflowCode({ workflowsPath, logger: quietBundlerLogger });
  return bundling;
}

/** A prebuilt bundle (production image) when one exists, else a fresh one. */
export async function workflowBundleOption(): Promise<{ codePath: string } | WorkflowBundleWithSourceMap> {
  const prebuilt = process.env.VIGIL_WORKFLOW_BUNDLE ?? prebuiltBundlePath;
  return existsSync(prebuilt) ? { codePath: prebuilt } : workflowBundle();
}

const quietBundlerLogger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  log: () => undefined,
  warn: (message: string) => process.stderr.write(`[workflow bundler] ${message}\n`),
  error: (message: string) => process.stderr.write(`[workflow bundler] ${message}\n`),
};
