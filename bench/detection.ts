import os from 'node:os';
import { and, count, eq } from 'drizzle-orm';
import { vulnerabilities } from '../db/schema/findings.js';
import { startDevServer } from '../platform/dev-server.js';
import { createLogger } from '../platform/logger.js';
import { createFleet } from '../platform/playbook-fleet.js';
import { randomToken } from '../platform/secrets.js';
import { ensureTemporalCli } from '../platform/temporal-cli.js';
import { installRuntime } from '../worker/logging.js';
import { startEmbeddedVigil } from './embedded.js';
import { arg, runBench } from './cli.js';

/**
 * Detection throughput (issue 12): N simulated hosts, each reporting M missing updates through the agent protocol,
 * reconciled into vulnerabilities — once when the agents enroll (their scan loops' first scan), once on demand
 * (`POST /v1/assets/{id}/scan` for every host). Prints findings/s for both waves.
 *
 * `npx tsx bench/detection.ts [--hosts N] [--updates M]` — embedded: PGlite, API, workers and agents in this process.
 */
const HOSTS = arg('hosts', 1000);
const UPDATES = arg('updates', 50);
const log = (l: string) => process.stderr.write(`${l}\n`);

async function main(): Promise<void> {
  const loadAtStart = Math.round((os.loadavg()[0] ?? 0) * 10) / 10;
  installRuntime(createLogger('error'));
  const cliPath = await ensureTemporalCli({ log });
  const server = await startDevServer({ cliPath, headless: true, log: () => undefined });
  const prefix = `detect-${randomToken(6)}`;
  const vigil = await startEmbeddedVigil(server, prefix);
  const { database, temporal, baseUrl } = vigil;
  const adminKey = { key: vigil.apiKey };
  const account = { id: vigil.accountId };
  const expected = HOSTS * UPDATES;
  const openFindings = async () => {
    const [row] = await database.db
      .select({ n: count() })
      .from(vulnerabilities)
      .where(and(eq(vulnerabilities.accountId, account.id), eq(vulnerabilities.source, 'agent')));
    return row?.n ?? 0;
  };

  log(`enrolling ${HOSTS} simulated hosts with ${UPDATES} missing updates each …`);
  const t0 = Date.now();
  const fleet = await createFleet({
    baseUrl,
    apiKey: adminKey.key,
    prefix: 'detect',
    assets: HOSTS,
    vulnerabilitiesPerAsset: 0,
    agent: { latencyMs: 0, heartbeatIntervalMs: 5000, pollWaitSeconds: 30, missingUpdates: UPDATES },
  });
  const enrolledAt = Date.now();
  for (;;) {
    const n = await openFindings();
    if (n >= expected) break;
    if (Date.now() - t0 > 30 * 60_000)
      throw new Error(`enrollment scans stalled at ${n} of ${expected} findings`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const enrollmentSeconds = (Date.now() - t0) / 1000;

  log('scanning every host again on demand …');
  const t1 = Date.now();
  const started: string[] = [];
  for (const a of fleet.assets) {
    const res = await fetch(`${baseUrl}/v1/assets/${a.id}/scan`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey.key}` },
    });
    if (res.status !== 202) throw new Error(`scan of ${a.name} refused: ${res.status} ${await res.text()}`);
    started.push(((await res.json()) as { workflowId: string }).workflowId);
  }
  let reconciled = 0;
  for (const id of started) {
    const r = (await temporal.client.workflow.getHandle(id).result()) as { reported: number };
    reconciled += r.reported;
  }
  const onDemandSeconds = (Date.now() - t1) / 1000;

  const out = {
    bench: 'detection',
    topology: 'one process: PGlite, API, workers and agents',
    loadAverageAtStart: loadAtStart,
    hosts: HOSTS,
    missingUpdatesPerHost: UPDATES,
    enrollment: {
      seconds: Number(enrollmentSeconds.toFixed(2)),
      agentsEnrolledSeconds: Number(((enrolledAt - t0) / 1000).toFixed(2)),
      findings: await openFindings(),
      findingsPerSecond: Number((expected / enrollmentSeconds).toFixed(1)),
    },
    onDemand: {
      seconds: Number(onDemandSeconds.toFixed(2)),
      findingsReconciled: reconciled,
      findingsPerSecond: Number((reconciled / onDemandSeconds).toFixed(1)),
      scansPerSecond: Number((HOSTS / onDemandSeconds).toFixed(1)),
    },
    loadAverageAtEnd: Math.round((os.loadavg()[0] ?? 0) * 10) / 10,
  };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  await fleet.stop();
  await vigil.stop();
  await server.stop();
}

runBench(main, { exitWhenDone: true });
