import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { prebuiltBundlePath, workflowBundle } from './bundle.js';

/**
 * `npm run build` step: writes the workflow bundle the production worker loads instead of running webpack. With a
 * path argument, writes there instead (a worker without a prebuilt bundle runs this in a child process).
 */
const target = process.argv[2] ?? prebuiltBundlePath;
const bundle = await workflowBundle();
mkdirSync(path.dirname(target), { recursive: true });
writeFileSync(target, bundle.code);
process.stdout.write(`workflow bundle written to ${target} (${bundle.code.length} bytes)\n`);
