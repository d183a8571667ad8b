import type { TaskAssetVulnerability } from '../../services/playbook/task-views.js';

/** The API's response shapes the console reads (the routes' zod schemas define and check them). */
export interface Paged<T> {
  items: T[];
  nextCursor: string | null;
}

export interface TaskDto {
  id: string;
  name: string;
  policyId: string | null;
  status: string;
  executions: number;
  mode: 'now' | 'window';
  window: { start: string; end: string; timeZone: string } | null;
  assetCount: number;
  vulnerabilityCount: number;
  channelIds: string[];
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
}

export interface TaskDetailDto extends TaskDto {
  assets: {
    id: string;
    name: string;
    hostname: string;
    status: string;
    reason: string | null;
    latestScanAt: string | null;
    vulnerabilities: TaskAssetVulnerability[];
  }[];
  notification: { channels: { id: string; name: string; type: string }[] };
  log: {
    status: string;
    execution: number;
    processes: number;
    succeeded: number;
    failed: number;
    pending: number;
    skipped: number;
    assets: Record<string, number>;
    steps: { kind: string; status: string; counts: Record<string, number> }[];
  };
}

export interface LogEntryDto {
  id: string;
  at: string;
  execution: number;
  level: string;
  event: string;
  message: string;
  assetId: string | null;
  step: {
    kind: string;
    status: string;
    attempt: number;
    exitCode: number | null;
    output: string;
    startedAt: string;
    endedAt: string | null;
  } | null;
}

export interface AssetDto {
  id: string;
  instanceId: string;
  name: string;
  hostname: string;
  ips: string[];
  osFamily: string;
  osVersion: string;
  groups: { id: string; name: string }[];
  agentStatus: 'online' | 'offline' | 'none';
  lastSeenAt: string | null;
}

export interface VulnerabilityDto {
  id: string;
  assetId: string;
  type: string;
  name: string;
  title: string;
  severity: string;
  fixable: boolean;
  packageName: string | null;
  installedVersion: string | null;
  fixedVersion: string | null;
  status: string;
  latestScanAt: string;
}

export interface PolicyDto {
  id: string;
  templateId: string;
  name: string;
  description: string;
  type: string;
  params: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

export interface GroupDto {
  id: string;
  name: string;
}

export interface AuditEntryDto {
  id: string;
  actor: string;
  action: string;
  targetType: string;
  targetId: string | null;
  after: unknown;
  at: string;
}
