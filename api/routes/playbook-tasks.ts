import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { flowToMermaid, flowToSvg } from '../../domain/playbook/flow.js';
import { ASSET_STATUSES, TASK_STATUSES } from '../../domain/playbook/status.js';
import { ZCreateTaskBodySchema } from '../../domain/playbook/task-input.js';
import { ZSelectionPreviewSchema } from '../../domain/playbook/task-selection.js';
import { auditActor } from '../audit-context.js';
import type { AppEnv } from '../context.js';
import { decodeCursor, page, pageOf, ZPageQuerySchema } from '../pagination.js';
import { controlTask, type TaskControl } from '../../services/playbook/control-task.js';
import { createFixTask } from '../../services/playbook/create-fix-task.js';
import { previewFixTask } from '../../services/playbook/preview-fix-task.js';
import { rerunTask } from '../../services/playbook/rerun-task.js';
import { taskDetail, taskFlowView } from '../../services/playbook/task-detail.js';
import { findTask, listTasks, taskAssets, taskLogs, toTaskDto } from '../../services/playbook/task-views.js';
import { resourceRoutes } from '../route-shapes.js';
import { defineRoute, json, jsonBody, ZIdParamSchema } from '../router.js';
import { coercedInt32 } from '../../domain/input-rules.js';

const tags = ['playbook'];

const ZTaskSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    policyId: z.uuid().nullable(),
    status: z.enum(TASK_STATUSES),
    executions: z
      .number()
      .int()
      .openapi({ description: 'How many times the task has run (a rerun adds one)' }),
    mode: z.enum(['now', 'window']),
    window: z.object({ start: z.iso.datetime(), end: z.iso.datetime(), timeZone: z.string() }).nullable(),
    assetCount: z.number().int(),
    vulnerabilityCount: z.number().int(),
    channelIds: z.array(z.uuid()),
    params: z.record(z.string(), z.unknown()),
    createdAt: z.iso.datetime(),
    startedAt: z.iso.datetime().nullable(),
    endedAt: z.iso.datetime().nullable(),
    updatedAt: z.iso.datetime(),
  })
  .openapi('PlaybookTask');
export type TPlaybookTask = z.infer<typeof ZTaskSchema>;

const ZTaskAssetSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    hostname: z.string(),
    status: z.enum(ASSET_STATUSES),
    reason: z.string().nullable(),
    startedAt: z.iso.datetime().nullable(),
    endedAt: z.iso.datetime().nullable(),
    latestScanAt: z.iso.datetime().nullable(),
    vulnerabilities: z.array(
      z.object({
        id: z.uuid(),
        name: z.string(),
        title: z.string(),
        type: z.string(),
        status: z.string(),
        latestScanAt: z.iso.datetime(),
      }),
    ),
  })
  .openapi('PlaybookTaskAsset');

const ZLogSummarySchema = z.object({
  status: z.enum(TASK_STATUSES),
  execution: z.number().int(),
  processes: z.number().int().openapi({ description: 'asset × vulnerability units' }),
  succeeded: z.number().int(),
  failed: z.number().int(),
  pending: z.number().int(),
  skipped: z.number().int(),
  assets: z.record(z.string(), z.number().int()),
  steps: z.array(
    z.object({
      kind: z.string(),
      status: z.string(),
      counts: z
        .record(z.string(), z.number().int())
        .openapi({ description: 'Outcomes: each asset’s (and vulnerability’s) last attempt, by status' }),
      attempts: z.number().int().openapi({ description: 'Every attempt, retries included' }),
    }),
  ),
});

const ZTaskDetailSchema = ZTaskSchema.extend({
  assets: z
    .array(ZTaskAssetSchema)
    .openapi({ description: 'The first 100 assets; page through /assets for all' }),
  notification: z.object({
    channels: z.array(z.object({ id: z.uuid(), name: z.string(), type: z.string() })),
  }),
  log: ZLogSummarySchema,
}).openapi('PlaybookTaskDetail');
export type TPlaybookTaskDetail = z.infer<typeof ZTaskDetailSchema>;

const ZLogEntrySchema = z
  .object({
    id: z.uuid(),
    at: z.iso.datetime(),
    execution: z.number().int(),
    level: z.string(),
    event: z.string(),
    message: z.string(),
    assetId: z.uuid().nullable(),
    stepId: z.uuid().nullable(),
    step: z
      .object({
        kind: z.string(),
        status: z.string(),
        attempt: z.number().int(),
        jobId: z.uuid().nullable(),
        exitCode: z.number().int().nullable(),
        output: z.string().openapi({ description: 'The agent’s full output, not truncated' }),
        startedAt: z.iso.datetime(),
        endedAt: z.iso.datetime().nullable(),
      })
      .nullable(),
  })
  .openapi('PlaybookTaskLogEntry');

// Built here, not by calling .openapi() on the domain schema: zod 4 attaches methods per instance, so a schema that
// was created before @hono/zod-openapi extended zod (import order) has no .openapi().
const ZSelectionSchema = z.object(ZSelectionPreviewSchema.shape).openapi('PlaybookTaskSelection');
export type TPlaybookTaskSelection = z.infer<typeof ZSelectionSchema>;
const ZTaskCreatedSchema = ZTaskSchema.extend({ selection: ZSelectionSchema }).openapi('PlaybookTaskCreated');
export type TPlaybookTaskCreated = z.infer<typeof ZTaskCreatedSchema>;
type PageOf<T extends z.ZodType> = z.infer<ReturnType<typeof pageOf<T>>>;
export type TPlaybookTaskPage = PageOf<typeof ZTaskSchema>;
export type TPlaybookTaskAssetPage = PageOf<typeof ZTaskAssetSchema>;
export type TPlaybookTaskLogPage = PageOf<typeof ZLogEntrySchema>;

const createRoute = defineRoute({
  method: 'post',
  path: '/v1/playbook/policies/{id}/tasks',
  operationId: 'createFixTask',
  tags,
  summary: 'Create a fix task from a policy: assets, up to 200 vulnerabilities, channels, now or a window',
  request: { params: ZIdParamSchema, body: jsonBody(ZCreateTaskBodySchema) },
  responses: {
    201: json(ZTaskCreatedSchema, 'Created, with exactly what the preview showed'),
  },
});

const previewRoute = defineRoute({
  method: 'post',
  path: '/v1/playbook/policies/{id}/tasks/preview',
  tags,
  summary:
    'Preview a task (same body as create): the assets and distinct vulnerabilities it would touch per tab, and what each asset’s agent can fix; nothing is written',
  request: { params: ZIdParamSchema, body: jsonBody(ZCreateTaskBodySchema) },
  responses: { 200: json(ZSelectionSchema) },
});

const listRoute = resourceRoutes('/v1/playbook/tasks', tags, ZTaskSchema).list(
  'Task management: tasks, newest first, with status filter',
  ZPageQuerySchema.extend({ status: z.enum(TASK_STATUSES).optional() }),
);

const tasks = resourceRoutes('/v1/playbook/tasks', tags, ZTaskDetailSchema);
const getRoute = tasks.get('Task details: asset list, notification settings, log summary');

const ZExecutionQuery = z.object({ execution: coercedInt32().min(1).optional() });

const assetsRoute = tasks.childPage(
  'assets',
  'The task’s assets of one execution (default: the latest) with outcome and vulnerabilities',
  ZTaskAssetSchema,
  ZPageQuerySchema.extend(ZExecutionQuery.shape).extend({ status: z.enum(ASSET_STATUSES).optional() }),
);

const logsRoute = tasks.childPage(
  'logs',
  'The task’s log in order, with each step’s full agent output',
  ZLogEntrySchema,
  ZPageQuerySchema.extend(ZExecutionQuery.shape),
);

const flowRoute = defineRoute({
  method: 'get',
  path: '/v1/playbook/tasks/{id}/flow',
  tags,
  summary: 'The policy flow with per-node counts as JSON, Mermaid or SVG',
  request: {
    params: ZIdParamSchema,
    query: z.object({ format: z.enum(['json', 'mermaid', 'svg']).default('json') }),
  },
  responses: {
    200: {
      description: 'The flow graph',
      content: {
        'application/json': {
          schema: z.object({
            nodes: z.array(z.record(z.string(), z.unknown())),
            edges: z.array(z.object({ from: z.string(), to: z.string() })),
          }),
        },
        'text/vnd.mermaid': { schema: z.string() },
        'image/svg+xml': { schema: z.string() },
      },
    },
  },
});

const ZControlResultSchema = z.object({ status: z.enum(TASK_STATUSES), executions: z.number().int() });
export type TPlaybookTaskControlResult = z.infer<typeof ZControlResultSchema>;

/** Who reads: the caller's account, and the request id for the audit row of a reconciliation. */
const reader = (c: Context<AppEnv>) => ({
  accountId: c.get('caller').accountId,
  requestId: c.get('requestId'),
});

const controlRoute = (control: TaskControl | 'rerun', summary: string) =>
  defineRoute({
    method: 'post',
    path: `/v1/playbook/tasks/{id}/${control}`,
    tags,
    summary,
    request: { params: ZIdParamSchema },
    responses: { 200: json(ZControlResultSchema) },
  });

/** Request and response types of this module's routes (the contract tests use them). */
export type TCreateTaskBody = z.infer<typeof ZCreateTaskBodySchema>;

export function registerPlaybookTaskRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(createRoute, async (c) => {
    const { task, preview } = await createFixTask(c.get('services'), auditActor(c), {
      policyId: c.req.valid('param').id,
      body: c.req.valid('json'),
    });
    return c.json({ ...toTaskDto(task), selection: preview }, 201);
  });

  app.openapi(previewRoute, async (c) => {
    const preview = await previewFixTask(c.get('services').db, {
      accountId: c.get('caller').accountId,
      policyId: c.req.valid('param').id,
      body: c.req.valid('json'),
    });
    return c.json(preview, 200);
  });

  app.openapi(listRoute, async (c) => {
    const q = c.req.valid('query');
    const rows = await listTasks(c.get('services').db, {
      accountId: c.get('caller').accountId,
      status: q.status,
      limit: q.limit,
      before: decodeCursor(q.cursor),
    });
    const p = page(rows, q.limit);
    return c.json({ items: p.items.map(toTaskDto), nextCursor: p.nextCursor }, 200);
  });

  app.openapi(getRoute, async (c) => {
    const detail = await taskDetail(c.get('services'), reader(c), c.req.valid('param').id);
    return c.json(detail, 200);
  });

  app.openapi(assetsRoute, async (c) => {
    const { db } = c.get('services');
    const task = await findTask(db, c.get('caller').accountId, c.req.valid('param').id);
    const q = c.req.valid('query');
    const rows = await taskAssets(db, task, {
      execution: q.execution ?? task.execution,
      status: q.status,
      limit: q.limit,
      after: decodeCursor(q.cursor),
    });
    return c.json(page(rows, q.limit), 200);
  });

  app.openapi(logsRoute, async (c) => {
    const { db } = c.get('services');
    const task = await findTask(db, c.get('caller').accountId, c.req.valid('param').id);
    const q = c.req.valid('query');
    const rows = await taskLogs(db, task, {
      execution: q.execution,
      limit: q.limit,
      after: decodeCursor(q.cursor),
    });
    return c.json(page(rows, q.limit), 200);
  });

  app.openapi(flowRoute, async (c) => {
    const flow = await taskFlowView(c.get('services'), reader(c), c.req.valid('param').id);
    const format = c.req.valid('query').format;
    if (format === 'mermaid')
      return c.body(flowToMermaid(flow), 200, { 'content-type': 'text/vnd.mermaid; charset=utf-8' });
    if (format === 'svg')
      return c.body(flowToSvg(flow), 200, { 'content-type': 'image/svg+xml; charset=utf-8' });
    return c.json(
      flow as unknown as { nodes: Record<string, unknown>[]; edges: { from: string; to: string }[] },
      200,
    );
  });

  for (const control of ['cancel', 'pause', 'resume'] as const) {
    const summaries = {
      cancel:
        'Cancel: Waiting → Cancelled at once; Progressing or Paused → Cancelling → Cancelled (running agent jobs are told)',
      pause: 'Pause: stop starting new assets; running ones finish',
      resume: 'Resume a paused task',
    };
    app.openapi(controlRoute(control, summaries[control]), async (c) => {
      const r = await controlTask(c.get('services'), auditActor(c), {
        taskId: c.req.valid('param').id,
        control,
      });
      return c.json(r, 200);
    });
  }

  app.openapi(
    controlRoute('rerun', 'Rerun the failed assets of a finished task as a new execution'),
    async (c) => {
      const r = await rerunTask(c.get('services'), auditActor(c), { taskId: c.req.valid('param').id });
      return c.json(r, 200);
    },
  );
}
