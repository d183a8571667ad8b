import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  AGENT_EXECUTORS,
  AGENT_FIX_TYPES,
  type AgentExecutorName,
  type AgentFixType,
} from '../domain/agent-jobs.js';
import { startAgent, type AgentStats } from './agent.js';
import { createProgressReporter } from './progress.js';

const USAGE = `Usage: npm run agent -- --server URL [--enroll TOKEN] --executor apt|dnf|simulate [options]

  --server URL          Vigil API base URL (e.g. http://127.0.0.1:3000)
  --enroll TOKEN        enrollment token (first start only; the agent token is then kept in the state folder)
  --executor NAME       apt | dnf | simulate
  --dry-run             preview fixes (apt-get --simulate, dnf --assumeno); write nothing
  --state-dir DIR       where the agent token, snapshots and configuration live
                        (default /var/lib/vigil-agent as root, else ~/.vigil-agent)
  --hostname NAME       report this hostname instead of the detected one
  --instance-id ID      cloud instance id of this host
  --allow-reboot        let reboot jobs reboot the host (otherwise they only report rebootRequired)
  --latency-ms N        simulate: how long a fix takes (default 500)
  --failure-rate R      simulate: probability 0..1 that a fix fails (default 0)
  --seed N              simulate: seed for the failure draw
  --fixes TYPES         simulate: vulnerability types it claims to fix, comma-separated (default linux)
  --missing-updates N   simulate: updates its scans report missing (also makes it report that it scans)
  --lock-timeout-s N    apt/dnf: how long to wait for another package manager's lock (default 600)
  --baseline-root DIR   baseline checks: check this prepared root with oscap-chroot instead of the host
  --scap-content DIR    baseline checks: folder of SSG data streams (default /usr/share/xml/scap/ssg/content)
`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}`);
  process.exit(2);
}

function numberArg(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) fail(`--${name} must be a number from ${min} to ${max}`);
  return n;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        server: { type: 'string' },
        enroll: { type: 'string' },
        executor: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        'state-dir': { type: 'string' },
        hostname: { type: 'string' },
        'instance-id': { type: 'string' },
        'allow-reboot': { type: 'boolean', default: false },
        'latency-ms': { type: 'string' },
        'failure-rate': { type: 'string' },
        seed: { type: 'string' },
        fixes: { type: 'string' },
        'missing-updates': { type: 'string' },
        'lock-timeout-s': { type: 'string' },
        'baseline-root': { type: 'string' },
        'scap-content': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (!values.server) fail('--server is required');
  const executor = values.executor ?? '';
  if (!(AGENT_EXECUTORS as readonly string[]).includes(executor))
    fail('--executor must be apt, dnf or simulate');
  const stateDir =
    values['state-dir'] ??
    (process.getuid?.() === 0 ? '/var/lib/vigil-agent' : path.join(os.homedir(), '.vigil-agent'));
  const lockTimeoutS = numberArg(values['lock-timeout-s'], 'lock-timeout-s', 0, 86_400);
  const fixes = values.fixes?.split(',').map((t) => t.trim());
  if (fixes?.some((t) => !(AGENT_FIX_TYPES as readonly string[]).includes(t)))
    fail(`--fixes takes ${AGENT_FIX_TYPES.join(', ')}`);
  const missingUpdates = numberArg(values['missing-updates'], 'missing-updates', 0, 10_000);

  let stats: () => AgentStats = () => ({ done: 0, failed: 0, cancelled: 0, current: null, connected: false });
  const reporter = createProgressReporter({
    stream: process.stdout,
    label: `vigil-agent (${executor})`,
    stats: () => stats(),
  });
  const agent = startAgent({
    server: values.server,
    enrollToken: values.enroll,
    executor: executor as AgentExecutorName,
    dryRun: values['dry-run'],
    stateDir,
    identity: {
      ...(values.hostname ? { hostname: values.hostname } : {}),
      ...(values['instance-id'] ? { instanceId: values['instance-id'] } : {}),
    },
    executorOptions: {
      allowReboot: values['allow-reboot'],
      latencyMs: numberArg(values['latency-ms'], 'latency-ms', 0, 3_600_000),
      failureRate: numberArg(values['failure-rate'], 'failure-rate', 0, 1),
      seed: numberArg(values.seed, 'seed', 0, 2 ** 32),
      ...(fixes ? { fixes: fixes as AgentFixType[] } : {}),
      ...(missingUpdates === undefined ? {} : { missingUpdates }),
      ...(lockTimeoutS === undefined ? {} : { lockTimeoutMs: lockTimeoutS * 1000 }),
      ...(values['baseline-root'] ? { baselineRoot: values['baseline-root'] } : {}),
      ...(values['scap-content'] ? { scapContentDir: values['scap-content'] } : {}),
    },
    onEvent: (e) => reporter.onEvent(e),
  });
  stats = agent.stats;

  let stopping = false;
  const onSignal = () => {
    if (stopping) {
      reporter.log('stopping now; the running job is abandoned');
      void agent.stop();
      return;
    }
    stopping = true;
    reporter.log('stopping after the running job (Ctrl-C again to stop now)');
    void agent.stop({ graceful: true });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await agent.done;
  } catch (err) {
    reporter.log(`fatal: ${(err as Error).message}`);
    reporter.close();
    process.exit(1);
  }
  reporter.close();
}

void main();
