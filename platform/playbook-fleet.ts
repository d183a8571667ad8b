import { startAgent, type RunningAgent } from '../agent/agent.js';
import type { Executor } from '../agent/executors/index.js';
import { SYSTEM_TEMPLATE, type TPolicyParams } from '../domain/playbook/policy.js';
import { errorMessage } from '../domain/errors.js';

/**
 * A fleet for the Playbook over the real HTTP API: assets with fixable vulnerabilities, a policy cloned from the
 * system template, and one simulated agent per asset enrolled with its own token — all in this process. The demo
 * (`npm start -- --demo`), the Playbook tests and the bench use it.
 */
export interface FleetOptions {
  baseUrl: string;
  apiKey: string;
  assets: number;
  vulnerabilitiesPerAsset: number;
  /** Prefix of instance ids and names, so that several fleets can live in one account. */
  prefix?: string;
  policy?: Partial<TPolicyParams>;
  agent?: {
    latencyMs?: number;
    failureRate?: number;
    seed?: number;
    heartbeatIntervalMs?: number;
    pollWaitSeconds?: number;
    /** Updates each simulated host reports missing; set, the agents say they scan and get a scan loop (issue 12). */
    missingUpdates?: number;
  };
  /** Replaces the simulate executor of each agent (tests that need a host to behave in a given way). */
  executor?: (asset: { id: string; name: string }) => Executor;
  /** Names of assets whose agents fail every fix (exit code 1). */
  failingAssets?: string[];
  /** Leave the agents off (start them later with `startAgents`). */
  withoutAgents?: boolean;
}

export interface Fleet {
  assets: { id: string; name: string; instanceId: string }[];
  /** One vulnerability row id per distinct vulnerability (type + name); a task fixes each on every asset. */
  vulnerabilityIds: string[];
  policyId: string;
  agents: Map<string, RunningAgent>;
  startAgents(assetIds?: string[]): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The failure-draw seed of the simulated agent at `position` in the fleet: each agent draws its own failures (one
 * shared seed made every agent fail the same attempts together, so a 5 % rate failed all hosts or none).
 */
export function agentSeed(fleetSeed: number, position: number): number {
  return (fleetSeed + Math.imul(position + 1, 0x9e3779b1)) >>> 0;
}

/** Agents that register at the same time. */
const ENROLL_WAVE = 100;

const PACKAGES = [
  'openssh-server',
  'openssl',
  'curl',
  'sudo',
  'glibc',
  'bash',
  'nginx',
  'libxml2',
  'zlib',
  'git',
];

async function call<T>(opts: FleetOptions, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${opts.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${opts.apiKey}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text.slice(0, 500)}`);
  return (text ? JSON.parse(text) : null) as T;
}

export async function createFleet(opts: FleetOptions): Promise<Fleet> {
  const prefix = opts.prefix ?? 'web';
  const pad = String(opts.assets).length;
  const inputs = Array.from({ length: opts.assets }, (_, i) => {
    const n = String(i + 1).padStart(Math.max(2, pad), '0');
    return {
      instanceId: `i-${prefix}-${n}`,
      name: `${prefix}-${n}`,
      hostname: `${prefix}-${n}.example.internal`,
      ips: [`10.${Math.floor(i / 65536) % 256}.${Math.floor(i / 256) % 256}.${i % 256}`],
      osFamily: 'linux' as const,
      osVersion: 'Ubuntu 22.04',
      groups: [`${prefix}-fleet`],
    };
  });
  const assets: Fleet['assets'] = [];
  for (let i = 0; i < inputs.length; i += 5000) {
    const chunk = inputs.slice(i, i + 5000);
    const r = await call<{ ids: string[] }>(opts, 'POST', '/v1/assets', { assets: chunk });
    r.ids.forEach((id, j) => {
      const a = chunk[j];
      if (a) assets.push({ id, name: a.name, instanceId: a.instanceId });
    });
  }
  const vulns = assets.flatMap((a) =>
    Array.from({ length: opts.vulnerabilitiesPerAsset }, (_, v) => {
      const pkg = PACKAGES[v % PACKAGES.length] ?? 'openssl';
      return {
        assetId: a.id,
        type: 'linux' as const,
        name: `USN-${7000 + v}-1`,
        title: `${pkg} vulnerability`,
        cveIds: [`CVE-2024-${String(6387 + v).padStart(4, '0')}`],
        severity: 'high' as const,
        fixable: true,
        packageName: v < PACKAGES.length ? pkg : `${pkg}-${v}`,
        installedVersion: '1.0.0',
        fixedVersion: '1.0.1',
      };
    }),
  );
  for (let i = 0; i < vulns.length; i += 10_000) {
    await call(opts, 'POST', '/v1/vulnerabilities', { items: vulns.slice(i, i + 10_000) });
  }
  const firstAsset = assets[0];
  const vulnerabilityIds: string[] = [];
  if (firstAsset) {
    const listed = await call<{ items: { id: string; name: string }[] }>(
      opts,
      'GET',
      `/v1/vulnerabilities?assetId=${firstAsset.id}&limit=500`,
    );
    vulnerabilityIds.push(...listed.items.map((v) => v.id));
  }
  const policy = await call<{ id: string }>(
    opts,
    'POST',
    `/v1/playbook/templates/${SYSTEM_TEMPLATE.id}/clone`,
    {
      name: `${prefix} fleet policy`,
      params: opts.policy ?? {},
    },
  );
  // No use limit: under load an agent may retry its registration, and each try counts as a use.
  const enrollment = await call<{ token: string }>(opts, 'POST', '/v1/agent-enrollment-tokens', {
    description: `${prefix} simulated fleet`,
  });

  const agents = new Map<string, RunningAgent>();
  const byId = new Map(assets.map((a) => [a.id, a]));
  const positionOf = new Map(assets.map((a, i) => [a.id, i]));
  const fleet: Fleet = {
    assets,
    vulnerabilityIds,
    policyId: policy.id,
    agents,
    async startAgents(ids = assets.map((a) => a.id)) {
      const started: RunningAgent[] = [];
      for (const id of ids) {
        const a = byId.get(id);
        if (!a || agents.has(id)) continue;
        const agent = startAgent({
          server: opts.baseUrl,
          enrollToken: enrollment.token,
          executor: opts.executor?.(a) ?? 'simulate',
          executorOptions: {
            latencyMs: opts.agent?.latencyMs ?? 20,
            failureRate: opts.failingAssets?.includes(a.name) ? 1 : (opts.agent?.failureRate ?? 0),
            seed: agentSeed(opts.agent?.seed ?? 1, positionOf.get(id) ?? 0),
            ...(opts.agent?.missingUpdates === undefined
              ? {}
              : { missingUpdates: opts.agent.missingUpdates }),
          },
          stateDir: null,
          identity: {
            instanceId: a.instanceId,
            hostname: `${a.name}.example.internal`,
            name: a.name,
            osFamily: 'linux',
            osVersion: 'Ubuntu 22.04',
          },
          pollWaitSeconds: opts.agent?.pollWaitSeconds ?? 10,
          heartbeatIntervalMs: opts.agent?.heartbeatIntervalMs ?? 500,
          outputFlushMs: 200,
          backoff: { baseMs: 100, maxMs: 2000 },
        });
        agent.done.catch((err: unknown) => {
          process.stderr.write(`simulated agent of ${a.name} stopped: ${errorMessage(err)}\n`);
        });
        agents.set(id, agent);
        started.push(agent);
        // Enrolled in waves, as a fleet rollout does: thousands of registrations at once only queue and time out.
        if (started.length % ENROLL_WAVE === 0)
          await Promise.all(started.slice(-ENROLL_WAVE).map((x) => x.ready));
      }
      await Promise.all(started.map((x) => x.ready));
    },
    async stop() {
      await Promise.all([...agents.values()].map((a) => a.stop()));
      agents.clear();
    },
  };
  if (!opts.withoutAgents) await fleet.startAgents();
  return fleet;
}
