import { z } from 'zod';
import { displayName, instant, int32 } from './input-rules.js';

/**
 * Work an agent does on its host (DESIGN §5 "Agent jobs": precheck, snapshot, fix, scan, reboot; DESIGN §9 adds
 * configure for member protection settings pushed to agents; issue 16 adds baseline, an OpenSCAP check).
 */
export const AGENT_JOB_KINDS = [
  'precheck',
  'snapshot',
  'fix',
  'scan',
  'reboot',
  'configure',
  'baseline',
] as const;
export type AgentJobKind = (typeof AGENT_JOB_KINDS)[number];

/** pending (queued for the asset's agent) → running (an agent took it) → succeeded | failed | cancelled. */
export const AGENT_JOB_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type AgentJobStatus = (typeof AGENT_JOB_STATUSES)[number];
export const FINAL_AGENT_JOB_STATUSES: readonly AgentJobStatus[] = ['succeeded', 'failed', 'cancelled'];

/** What an agent may report as a job's outcome. */
export const AGENT_RESULT_STATUSES = ['succeeded', 'failed', 'cancelled'] as const;
export type AgentResultStatus = (typeof AGENT_RESULT_STATUSES)[number];

export const AGENT_EXECUTORS = ['apt', 'dnf', 'simulate'] as const;
export type AgentExecutorName = (typeof AGENT_EXECUTORS)[number];

/** Vulnerability types an agent's executor can fix (DESIGN §5: Linux software, Windows KB, Web-CMS patch). */
export const AGENT_FIX_TYPES = ['linux', 'windows', 'webcms'] as const;
export type AgentFixType = (typeof AGENT_FIX_TYPES)[number];

/**
 * What an agent says it can do, stored on its row (`agents.capabilities`) at registration. A type missing from
 * `fixes` is never attempted on that host: the asset is Skipped "unsupported on this host" (Playbook truth rule).
 */
export const ZAgentCapabilitiesSchema = z.strictObject({
  fixes: z.array(z.enum(AGENT_FIX_TYPES)).max(AGENT_FIX_TYPES.length).default([]),
  /** The agent can inventory what its host is missing (apt/dnf metadata). */
  scan: z.boolean().default(false),
  /** The agent runs with --dry-run: it reports what it would do and changes nothing. */
  dryRun: z.boolean().default(false),
  /** Baseline checks: whether the host has OpenSCAP and content for its OS, and if not, why (issue 16). */
  baseline: z.strictObject({ available: z.boolean(), reason: z.string().max(1_000).optional() }).optional(),
});
export type TAgentCapabilities = z.infer<typeof ZAgentCapabilitiesSchema>;

/** Capabilities of an agent that did not report any (older agents): what its executor can do on Linux. */
export function defaultCapabilities(executor: AgentExecutorName): TAgentCapabilities {
  return executor === 'simulate'
    ? { fixes: ['linux'], scan: false, dryRun: false }
    : { fixes: ['linux'], scan: true, dryRun: false };
}

/** Longest long poll an agent may ask for (Playbook issue: "long poll up to 30 s"). */
export const MAX_LONG_POLL_SECONDS = 30;
/**
 * An agent counts as online when it was heard from within three longest long polls: an idle agent is heard every
 * ≤ 30 s, and the server records it at most every half window (so an idle fleet writes every other poll).
 */
export const AGENT_ONLINE_WINDOW_MS = 3 * MAX_LONG_POLL_SECONDS * 1000;

/** Default lifetime and use count of an enrollment token when the operator does not say. */
export const DEFAULT_ENROLLMENT_TOKEN_HOURS = 24;
export const MAX_ENROLLMENT_TOKEN_HOURS = 24 * 365;
export const MAX_ENROLLMENT_TOKEN_USES = 100_000;

/** Token shapes: visible type prefix, then a base62 secret (only its SHA-256 is stored). */
export const ENROLLMENT_TOKEN_PREFIX = 'vge_';
export const AGENT_TOKEN_PREFIX = 'vga_';
export const TOKEN_SECRET_LENGTH = 40;

/** One output chunk posted by an agent; `offset` (UTF-16 units already sent) makes a resent chunk harmless. */
export const MAX_OUTPUT_CHUNK_CHARS = 1_000_000;
export const ZOutputChunkSchema = z.strictObject({
  offset: int32().min(0),
  data: z.string().max(MAX_OUTPUT_CHUNK_CHARS),
});
export type TOutputChunk = z.infer<typeof ZOutputChunkSchema>;

export const ZAgentIdentitySchema = z.strictObject({
  /** The cloud instance id; without it the hostname identifies the asset. */
  instanceId: z.string().trim().min(1).max(200).optional(),
  hostname: displayName(253),
  name: displayName(200).optional(),
  osFamily: z.enum(['linux', 'windows']),
  osVersion: z.string().trim().max(200).default(''),
  ips: z.array(z.string().max(64)).max(64).default([]),
  agentVersion: z.string().trim().max(50).default(''),
  executor: z.enum(AGENT_EXECUTORS),
});
export type TAgentIdentity = z.infer<typeof ZAgentIdentitySchema>;

export const ZRegisterRequestSchema = ZAgentIdentitySchema.extend({
  enrollmentToken: z.string().min(1).max(200),
  /** What the agent's executor can do; older agents send none and get `defaultCapabilities(executor)`. */
  capabilities: ZAgentCapabilitiesSchema.optional(),
});
export type TRegisterRequest = z.infer<typeof ZRegisterRequestSchema>;

export const ZRegisterResponseSchema = z.object({
  agentId: z.string(),
  assetId: z.string(),
  agentToken: z.string(),
});
export type TRegisterResponse = z.infer<typeof ZRegisterResponseSchema>;

/** A job as an agent receives it from `GET /agent/v1/jobs`. */
export const ZAgentJobSchema = z.object({
  id: z.string(),
  kind: z.enum(AGENT_JOB_KINDS),
  payload: z.record(z.string(), z.unknown()),
  summary: z.string().nullable(),
  attempt: z.number().int(),
  createdAt: z.string(),
});
export type TAgentJob = z.infer<typeof ZAgentJobSchema>;

export const ZHeartbeatRequestSchema = z.strictObject({
  /** Free-form progress the agent wants recorded (e.g. `{ phase: 'downloading', percent: 40 }`). */
  progress: z.record(z.string(), z.unknown()).optional(),
  output: ZOutputChunkSchema.optional(),
});
export type THeartbeatRequest = z.infer<typeof ZHeartbeatRequestSchema>;

export const ZHeartbeatResponseSchema = z.object({ cancel: z.boolean() });

export const ZJobResultRequestSchema = z.strictObject({
  status: z.enum(AGENT_RESULT_STATUSES),
  exitCode: int32(),
  /** The whole output; when given it replaces what was streamed, when omitted the streamed output stands. */
  output: z.string().optional(),
  details: z.record(z.string(), z.unknown()).default({}),
  startedAt: instant().optional(),
});
export type TJobResultRequest = z.infer<typeof ZJobResultRequestSchema>;

export const ZJobResultResponseSchema = z.object({
  status: z.enum(AGENT_JOB_STATUSES),
  /** False when the result was already recorded (a resent result is acknowledged, not applied twice). */
  applied: z.boolean(),
});

/** An agent is online when its last contact is within the online window. */
export function agentOnline(lastSeenAt: Date | null, now: Date): boolean {
  return lastSeenAt !== null && now.getTime() - lastSeenAt.getTime() <= AGENT_ONLINE_WINDOW_MS;
}
