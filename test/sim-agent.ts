import { startAgent, type AgentOptions, type RunningAgent } from '../agent/agent.js';

/**
 * A simulated agent as the tests run it against `server`: identity from `hostname`, no state directory, short
 * polls, heartbeats and back-off so a test sees changes in milliseconds. `overrides` (the enrollment token, executor
 * options, an event hook) win over these.
 */
export function startSimAgent(
  server: string,
  hostname: string,
  overrides: Partial<AgentOptions> = {},
): RunningAgent {
  return startAgent({
    server,
    executor: 'simulate',
    executorOptions: { latencyMs: 20, seed: 1 },
    stateDir: null,
    identity: { hostname, instanceId: `i-${hostname}`, osFamily: 'linux', ips: [] },
    pollWaitSeconds: 2,
    heartbeatIntervalMs: 200,
    outputFlushMs: 100,
    backoff: { baseMs: 50, maxMs: 500 },
    ...overrides,
  });
}
