import { Client, Connection } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { playbookTasks } from '../../db/schema/playbook.js';
import { createFleet, type Fleet, type FleetOptions } from '../../platform/playbook-fleet.js';
import { until } from './processes.js';

/**
 * A fleet of reference agents (simulate executor) enrolled over the API, and a fix task for all of it. By default the
 * fault tests' small task: 4 assets × 2 vulnerabilities, 2 assets at a time, 0.8 s a job — 16 agent jobs.
 */
export async function fleetWithTask(
  d: { url: string; apiKey: string },
  opts: Pick<FleetOptions, 'prefix'> & Partial<FleetOptions>,
): Promise<{ fleet: Fleet; taskId: string }> {
  const fleet = await createFleet({
    assets: 4,
    vulnerabilitiesPerAsset: 2,
    policy: { maxConcurrency: 2, heartbeatTimeoutSeconds: 60 },
    agent: { latencyMs: 800, heartbeatIntervalMs: 1000, pollWaitSeconds: 5 },
    ...opts,
    baseUrl: d.url,
    apiKey: d.apiKey,
  });
  return { fleet, taskId: await createTaskOverHttp(d.url, d.apiKey, fleet) };
}

/** Waits until the fleet's agents have run `n` jobs: host work has finished and more is under way. */
export function untilAgentsRan(fleet: Fleet, n: number): Promise<void> {
  return until(
    () => agentExecutions(fleet) >= n,
    120_000,
    () => `the agents ran fewer than ${n} jobs`,
  );
}

/** Waits until the API reports a dependency down (readyz 503), as an operator's monitoring would see it. */
export function untilApiNotReady(baseUrl: string, what: string): Promise<void> {
  return until(
    async () => (await fetch(`${baseUrl}/readyz`)).status === 503,
    60_000,
    () => `the API never noticed that ${what} was down`,
  );
}

/** Creates a fix task for the whole fleet through the API (row and workflow start, as an operator does). */
export async function createTaskOverHttp(baseUrl: string, apiKey: string, fleet: Fleet): Promise<string> {
  const res = await fetch(`${baseUrl}/v1/playbook/policies/${fleet.policyId}/tasks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'fault test',
      assets: { assetIds: fleet.assets.map((a) => a.id) },
      vulnerabilityIds: fleet.vulnerabilityIds,
      execution: { mode: 'now' },
    }),
  });
  const body = (await res.json()) as { id?: string };
  if (res.status !== 201 || !body.id)
    throw new Error(`task creation → ${res.status}: ${JSON.stringify(body)}`);
  return body.id;
}

/** The task's status as the API reports it (works whatever the database, PGlite in another process included). */
export async function taskStatusOverHttp(baseUrl: string, apiKey: string, taskId: string): Promise<string> {
  const res = await fetch(`${baseUrl}/v1/playbook/tasks/${taskId}`, {
    headers: { authorization: `Bearer ${apiKey}` },
  }).catch(() => null);
  if (!res?.ok) return `unreachable (${res?.status ?? 'no answer'})`;
  return ((await res.json()) as { status: string }).status;
}

export async function waitForFinalTaskOverHttp(
  baseUrl: string,
  apiKey: string,
  taskId: string,
  timeoutMs: number,
): Promise<string> {
  let status = '';
  await until(
    async () => FINAL.includes((status = await taskStatusOverHttp(baseUrl, apiKey, taskId))),
    timeoutMs,
    () => `task ${taskId} is still ${status}`,
  );
  return status;
}

export async function taskStatus(db: Database, taskId: string): Promise<string | undefined> {
  const [row] = await db
    .select({ status: playbookTasks.status })
    .from(playbookTasks)
    .where(eq(playbookTasks.id, taskId));
  return row?.status;
}

const FINAL = ['Succeeded', 'PartiallyFailed', 'Failed', 'Cancelled', 'Expired'];

export async function waitForFinalTask(db: Database, taskId: string, timeoutMs: number): Promise<string> {
  let status: string | undefined;
  await until(
    async () => FINAL.includes((status = await taskStatus(db, taskId)) ?? ''),
    timeoutMs,
    () => `task ${taskId} is still ${status ?? 'missing'}`,
  );
  return status ?? '';
}

/** How many jobs the fleet's agents executed (each agent counts what it ran, succeeded or failed). */
export function agentExecutions(fleet: Fleet): number {
  return [...fleet.agents.values()].reduce((n, a) => n + a.stats().done + a.stats().failed, 0);
}

/** Executions of one workflow id in Temporal (a second run would be a duplicate start). */
export async function workflowRuns(client: Client, workflowId: string): Promise<number> {
  let n = 0;
  for await (const _ of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) n++;
  return n;
}

export async function temporalClient(address: string): Promise<{ client: Client; close(): Promise<void> }> {
  const connection = await Connection.connect({ address });
  return { client: new Client({ connection, namespace: 'default' }), close: () => connection.close() };
}
