import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
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

/**
 * A prebuilt bundle (production image) when one exists, else a fresh one made in a child process: webpack's peak
 * (~500 MB of heap) then belongs to a process that exits, instead of staying in the RSS of the long-lived one
 * (`npm start` on a fresh data folder: RSS 898–962 MB five seconds after ready with webpack in process, 845–872 MB
 with it in a child; the rest is PGlite, four Temporal workers and the API).
 */
export async function workflowBundleOption(): Promise<{ codePath: string } | { code: string }> {
  const prebuilt = process.env.VIGIL_WORKFLOW_BUNDLE ?? prebuiltBundlePath;
  if (existsSync(prebuilt)) return { codePath: prebuilt };
  childBundling ??= bundleInChild();
  return { code: await childBundling };
}

let childBundling: Promise<string> | undefined;

/** Runs `build-bundle` (the `npm run build` step) in a child process writing to a scratch file, and reads it back. */
async function bundleInChild(): Promise<string> {
  const here = fileURLToPath(import.meta.url);
  const script = path.join(path.dirname(here), `build-bundle${path.extname(here)}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-bundle-'));
  const out = path.join(dir, 'workflow-bundle.js');
  try {
    await new Promise<void>((resolve, reject) => {
      const child = fork(script, [out], {
        // TypeScript sources (npm start, tests) need the tsx loader in the child; compiled JS does not.
        execArgv: path.extname(here) === '.ts' ? ['--import', 'tsx'] : [],
        // `--import tsx` resolves from the child's working directory: the repository root, wherever Vigil started.
        cwd: path.resolve(path.dirname(here), '..'),
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      });
      child.on('error', reject);
      child.on('exit', (code, signal) =>
        code === 0
          ? resolve()
          : reject(new Error(`the workflow bundler exited with ${signal ?? `code ${String(code)}`}`)),
      );
    });
    return readFileSync(out, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const quietBundlerLogger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  log: () => undefined,
  warn: (message: string) => process.stderr.write(`[workflow bundler] ${message}\n`),
  error: (message: string) => process.stderr.write(`[workflow bundler] ${message}\n`),
};
