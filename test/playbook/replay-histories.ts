// Replays the committed Playbook histories (`tsx test/playbook/replay-histories.ts`); prints one JSON line per
// history and exits non-zero on any failure. The replay test runs it in a plain Node process.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../../worker/bundle.js';
import { historiesDir } from './histories.js';

const files = readdirSync(historiesDir).filter((f) => f.startsWith('playbook-') && f.endsWith('.pb'));
const histories = files.map((f) => ({
  workflowId: f.replace(/\.pb$/, ''),
  history: proto.temporal.api.history.v1.History.decode(readFileSync(path.join(historiesDir, f))),
}));
let failed = 0;
for await (const r of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) {
  if (r.error) failed++;
  process.stdout.write(
    `${JSON.stringify({ workflowId: r.workflowId, error: r.error ? String(r.error) : null })}\n`,
  );
}
process.exit(failed === 0 && histories.length > 0 ? 0 : 1);
