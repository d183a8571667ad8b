import { describe, expect, it } from 'vitest';
import { createSimulateExecutor } from '../agent/executors/simulate.js';
import { agentSeed } from './playbook-fleet.js';

describe('simulated fleet: each agent draws its own failures', () => {
  const fixJob = (n: number) => ({
    id: `job-${n}`,
    kind: 'fix' as const,
    payload: { packageName: 'openssl', simulate: { latencyMs: 0 } },
    summary: null,
    attempt: 1,
    createdAt: new Date(0).toISOString(),
  });
  const ctx = {
    signal: new AbortController().signal,
    output: () => undefined,
    stateDir: null,
    dryRun: false,
  };

  it('the configured failure rate holds over the fleet, first attempt and retry alike', async () => {
    const agents = 400;
    const rate = 0.2;
    const executors = Array.from({ length: agents }, (_, i) =>
      createSimulateExecutor({ failureRate: rate, seed: agentSeed(7, i) }),
    );
    for (const attempt of [1, 2]) {
      // Each job its own cancel signal, as the agent gives it (400 waits on one signal warn of a listener leak).
      const outcomes = await Promise.all(
        executors.map((e) => e.run(fixJob(attempt), { ...ctx, signal: new AbortController().signal })),
      );
      const failed = outcomes.filter((o) => o.exitCode !== 0).length;
      // Binomial(400, 0.2): mean 80, standard deviation 8; one seed for all would give 0 or 400.
      expect(failed, `attempt ${attempt}`).toBeGreaterThan(50);
      expect(failed, `attempt ${attempt}`).toBeLessThan(110);
    }
  });

  it('seeds differ per agent and repeat per fleet seed', () => {
    const seeds = new Set(Array.from({ length: 10_000 }, (_, i) => agentSeed(7, i)));
    expect(seeds.size).toBe(10_000);
    expect(agentSeed(7, 3)).toBe(agentSeed(7, 3));
    expect(agentSeed(7, 3)).not.toBe(agentSeed(8, 3));
  });
});
