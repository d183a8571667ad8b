import { Context } from '@temporalio/activity';
import type { AgentActivities, AgentJobResult } from '../../activities/agents/run-agent-job.js';
import type { PlaybookActivities, TaskPlan } from '../../activities/playbook/task-activities.js';
import { DEFAULT_POLICY_PARAMS, type TPolicyParams } from '../../domain/playbook/policy.js';
import {
  emptyAssetCounts,
  taskOutcome,
  type AssetStatus,
  type StepKind,
  type TaskStatus,
} from '../../domain/playbook/status.js';

/** How a stub host answers one asset's fix: its outcome and how long the job takes. */
export interface StubHost {
  fix: 'succeeded' | 'failed';
  /** Milliseconds the fix job runs (heartbeating, so that a cancellation reaches it). */
  fixMs: number;
}

export interface StubTask {
  assets: number;
  params?: Partial<TPolicyParams>;
  windowStartMs?: number | null;
  /** The cutoff this many milliseconds after the plan is loaded (the worker's start-up does not eat into it). */
  cutoffInMs?: number;
  /** The window's end this many milliseconds after the cutoff. */
  windowEndAfterCutoffMs?: number;
  host: (assetIndex: number) => StubHost;
}

/** What the workflows did, as the stub activities saw it. */
export interface StubRecord {
  status: TaskStatus;
  /** Asset ids in the order their run began, with when. */
  begun: { assetId: string; at: number }[];
  ended: Map<string, AssetStatus>;
  /** Step ends the workflows reported (folded into the next activity or the asset's end). */
  stepEnds: { assetId: string; kind: StepKind; status: string }[];
  finish: { cancelled: boolean; stopReason: string | null } | null;
  cancelledGroups: string[];
  cutoffAtMs: number | null;
}

export const assetIdOf = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

/**
 * The Playbook's activities (and the agent activities its workflows call) answered in memory, so that the
 * orchestration rules — error budget, cutoff, pause, cancel — run on real workflow code and a real Temporal server
 * in milliseconds, without a database or an agent.
 */
export function stubPlaybookActivities(task: StubTask) {
  const rec: StubRecord = {
    status: 'Waiting',
    begun: [],
    ended: new Map(),
    stepEnds: [],
    finish: null,
    cancelledGroups: [],
    cutoffAtMs: null,
  };
  const params: TPolicyParams = { ...DEFAULT_POLICY_PARAMS, ...task.params };
  const indexOf = (assetId: string) => Number(assetId.slice(-12));

  async function runJob(kind: string, assetId: string): Promise<AgentJobResult> {
    const host = task.host(indexOf(assetId));
    const fix = kind === 'fix';
    const until = Date.now() + (fix ? host.fixMs : 0);
    while (Date.now() < until) {
      Context.current().heartbeat();
      await Context.current().sleep(Math.min(20, until - Date.now()));
    }
    const ok = !fix || host.fix === 'succeeded';
    const now = new Date().toISOString();
    return {
      jobId: '00000000-0000-4000-8000-000000000000',
      status: ok ? 'succeeded' : 'failed',
      exitCode: ok ? 0 : 1,
      output: '',
      details: ok ? {} : { error: 'stub host: the fix failed' },
      startedAt: now,
      finishedAt: now,
    };
  }
  const noteEnds = (assetId: string, ends: { kind: StepKind; status: string }[]) => {
    for (const e of ends) rec.stepEnds.push({ assetId, kind: e.kind, status: e.status });
  };

  const playbook: Partial<PlaybookActivities> = {
    playbookLoadTaskPlan: async (): Promise<TaskPlan> => {
      rec.cutoffAtMs = task.cutoffInMs === undefined ? null : Date.now() + task.cutoffInMs;
      return Promise.resolve({
        status: rec.status,
        params,
        assetCount: task.assets,
        windowStartMs: task.windowStartMs ?? null,
        windowEndAtMs: rec.cutoffAtMs === null ? null : rec.cutoffAtMs + (task.windowEndAfterCutoffMs ?? 0),
        cutoffAtMs: rec.cutoffAtMs,
      });
    },
    playbookSetTaskStatus: async (req) => {
      rec.status = req.status;
      return Promise.resolve({ status: rec.status });
    },
    playbookLoadBatchAssets: async (req) =>
      Promise.resolve(
        Array.from({ length: Math.max(0, Math.min(req.limit, task.assets - req.offset)) }, (_, j) => ({
          assetId: assetIdOf(req.offset + j),
          name: `host-${req.offset + j}`,
          vulnerabilityCount: 1,
        })),
      ),
    playbookBeginAsset: async (req) => {
      rec.begun.push({ assetId: req.assetId, at: Date.now() });
      return Promise.resolve({
        agentOnline: true,
        unsupported: [],
        vulnerabilities: [
          {
            vulnerabilityId: req.assetId,
            name: 'CVE-2024-6387',
            type: 'linux' as const,
            packageName: 'openssh-server',
            fixedVersion: '1:9.6p1-3ubuntu13.3',
            kbId: null,
            cmsComponent: null,
          },
        ],
      });
    },
    playbookRunStep: async (req) => {
      noteEnds(req.assetId, req.ends);
      return runJob(req.begin.kind, req.assetId);
    },
    playbookEndSteps: async (req) => {
      noteEnds(req.assetId, req.ends);
      if (req.asset && !rec.ended.has(req.assetId)) rec.ended.set(req.assetId, req.asset.status);
      return Promise.resolve();
    },
    playbookFinishExecution: async (req) => {
      rec.finish = { cancelled: req.cancelled, stopReason: req.stopReason };
      const counts = emptyAssetCounts();
      for (let i = 0; i < task.assets; i++) {
        const ended = rec.ended.get(assetIdOf(i));
        const begun = rec.begun.some((b) => b.assetId === assetIdOf(i));
        counts[ended ?? (req.cancelled ? 'Cancelled' : begun ? 'Failed' : 'Skipped')]++;
      }
      const status = taskOutcome({
        counts,
        cancelled: req.cancelled,
        windowClosed: req.stopReason === 'windowClosed',
      });
      rec.status = status;
      return Promise.resolve({ status, counts });
    },
    playbookBuildNotification: async () => Promise.resolve(null),
    playbookLog: async () => Promise.resolve(),
  };
  const agents: Pick<AgentActivities, 'cancelAgentJobs'> = {
    cancelAgentJobs: async (req) => {
      rec.cancelledGroups.push(req.group);
      return Promise.resolve({ cancelled: 0 });
    },
  };
  return { activities: { ...playbook, ...agents }, record: rec };
}

type StubActivities = ReturnType<typeof stubPlaybookActivities>['activities'];

/** The task id in a Playbook workflow id (`playbook-task:{taskId}`, `fix-batch:{taskId}:…`, `fix-asset:{taskId}:…`). */
const taskIdOfWorkflow = (workflowId: string) => workflowId.split(':')[1] ?? '';

/**
 * One set of stub activities for a worker shared by many tasks: each task registers its own `StubTask` and gets its
 * own record, and every call is answered by the stubs of the task whose workflow (or child workflow) made it. One
 * worker then serves a whole test file, so a case costs a workflow run, not a worker's start and stop.
 */
export function stubPlaybookActivitiesPerTask() {
  const tasks = new Map<string, StubActivities>();
  const names = Object.keys(
    stubPlaybookActivities({ assets: 0, host: () => ({ fix: 'succeeded', fixMs: 0 }) }).activities,
  );
  const dispatch =
    (name: string) =>
    (...args: unknown[]) => {
      const taskId = taskIdOfWorkflow(Context.current().info.workflowExecution?.workflowId ?? '');
      const activity = (
        tasks.get(taskId) as Record<string, ((...a: unknown[]) => unknown) | undefined> | undefined
      )?.[name];
      if (!activity) throw new Error(`no stub ${name} for task ${taskId}`);
      return activity(...args);
    };
  return {
    activities: Object.fromEntries(names.map((name) => [name, dispatch(name)])),
    /** Registers how the task's hosts answer; returns what its workflows did. */
    stubTask(taskId: string, task: StubTask): StubRecord {
      const { activities, record } = stubPlaybookActivities(task);
      tasks.set(taskId, activities);
      return record;
    },
  };
}
