import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { TAgentIdentity } from '../domain/agent-jobs.js';

/** Who this host is, as sent at registration: hostname, OS, addresses. */
export function detectIdentity(): Omit<TAgentIdentity, 'executor' | 'agentVersion'> {
  return {
    hostname: os.hostname(),
    osFamily: process.platform === 'win32' ? 'windows' : 'linux',
    osVersion: osRelease() ?? `${os.type()} ${os.release()}`,
    ips: Object.values(os.networkInterfaces())
      .flatMap((list) => list ?? [])
      .filter((i) => !i.internal)
      .map((i) => i.address)
      .slice(0, 64),
  };
}

function osRelease(): string | null {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text);
    return m?.[1] ?? null;
  } catch {
    // No /etc/os-release (not Linux, or a minimal container): the kernel name and release describe the host.
    return null;
  }
}
