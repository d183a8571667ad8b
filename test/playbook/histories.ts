import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';

export const historiesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/histories');

/**
 * With VIGIL_RECORD_HISTORIES=1 a test writes the histories of a finished run under test/fixtures/histories/ as
 * binary protobuf (`<name>-<i>.pb`; commit them: the replay test checks later workflow code against them). Binary,
 * not JSON: the SDK's JSON history decoder fails on this dependency tree (two copies of protobufjs).
 */
export async function recordHistories(client: Client, name: string, workflowIds: string[]): Promise<void> {
  if (process.env.VIGIL_RECORD_HISTORIES !== '1') return;
  mkdirSync(historiesDir, { recursive: true });
  for (const [i, workflowId] of workflowIds.entries()) {
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    writeFileSync(
      path.join(historiesDir, `${name}-${i}.pb`),
      proto.temporal.api.history.v1.History.encode(history).finish(),
    );
  }
}
