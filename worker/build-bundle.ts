import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { prebuiltBundlePath, workflowBundle } from './bundle.js';

/** `npm run build` step: writes the workflow bundle the production worker loads instead of running webpack. */
const bundle = await workflowBundle();
mkdirSync(path.dirname(prebuiltBundlePath), { recursive: true });
writeFileSync(prebuiltBundlePath, bundle.code);
process.stdout.write(`workflow bundle written to ${prebuiltBundlePath} (${bundle.code.length} bytes)\n`);
