import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { and, desc, eq, inArray, lt } from 'drizzle-orm';
import { recordAudit } from '../../db/audit.js';
import { playbookTaskAssets, playbookTasks, playbookTaskVulnerabilities } from '../../db/schema/playbook.js';
import { flowToMermaid, flowToSvg } from '../../domain/playbook/flow.js';
import { ASSET_STATUSES, isFinalTaskStatus, TASK_STATUSES } from '../../domain/playbook/status.js';
import { ZCreateTaskBodySchema } from '../../domain/playbook/task-input.js';
import { ZSelectionPreviewSchema } from '../../domain/playbook/task-selection.js';
import { auditActor } from '../audit-context.js';
import type { AppEnv } from '../context.js';
import { conflict } from '../errors.js';
import { decodeCursor, encodeCursor, pageOf, ZPageQuerySchema } from '../pagination.js';
import { createFixTask, planFixTask } from '../playbook/create-task.js';
import { findCheckedTask } from '../playbook/reconcile-task.js';
import { controlTask, startTaskWorkflow, type TaskControl } from '../playbook/task-workflow.js';
import {
  findTask,
  logSummary,
  taskAssets,
  taskChannels,
  taskFlow,
  taskLogs,
  toTaskDto,
} from '../playbook/task-views.js';
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

const ZSelectionSchema = ZSelectionPreviewSchema.openapi('PlaybookTaskSelection');

const createRoute = defineRoute({
  method: 'post',
  path: '/v1/playbook/policies/{id}/tasks',
  operationId: 'createFixTask',
  tags,
  summary: 'Create a fix task from a policy: assets, up to 200 vulnerabilities, channels, now or a window',
  request: { params: ZIdParamSchema, body: jsonBody(ZCreateTaskBodySchema) },
  responses: {
    201: json(
      ZTaskSchema.extend({ selection: ZSelectionSchema }).openapi('PlaybookTaskCreated'),
      'Created, with exactly what the preview showed',
    ),
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

const listRoute = defineRoute({
  method: 'get',
  path: '/v1/playbook/tasks',
  tags,
  summary: 'Task management: tasks, newest first, with status filter',
  request: { query: ZPageQuerySchema.extend({ status: z.enum(TASK_STATUSES).optional() }) },
  responses: { 200: json(pageOf(ZTaskSchema)) },
});

const getRoute = defineRoute({
  method: 'get',
  path: '/v1/playbook/tasks/{id}',
  tags,
  summary: 'Task details: asset list, notification settings, log summary',
  request: { params: ZIdParamSchema },
  responses: { 200: json(ZTaskDetailSchema) },
});

const ZExecutionQuery = z.object({ execution: coercedInt32().min(1).optional() });

const assetsRoute = defineRoute({
  method: 'get',
  path: '/v1/playbook/tasks/{id}/assets',
  tags,
  summary: 'The task’s assets of one execution (default: the latest) with outcome and vulnerabilities',
  request: {
    params: ZIdParamSchema,
    query: ZPageQuerySchema.extend(ZExecutionQuery.shape).extend({
      status: z.enum(ASSET_STATUSES).optional(),
    }),
  },
  responses: { 200: json(pageOf(ZTaskAssetSchema)) },
});

const logsRoute = defineRoute({
  method: 'get',
  path: '/v1/playbook/tasks/{id}/logs',
  tags,
  summary: 'The task’s log in order, with each step’s full agent output',
  request: { params: ZIdParamSchema, query: ZPageQuerySchema.extend(ZExecutionQuery.shape) },
  responses: { 200: json(pageOf(ZLogEntrySchema)) },
});

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

const controlRoute = (control: TaskControl | 'rerun', summary: string) =>
  defineRoute({
    method: 'post',
    path: `/v1/playbook/tasks/{id}/${control}`,
    tags,
    summary,
    request: { params: ZIdParamSchema },
    responses: { 200: json(z.object({ status: z.enum(TASK_STATUSES), executions: z.number().int() })) },
  });

export function registerPlaybookTaskRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(createRoute, async (c) => {
    const services = c.get('services');
    const actor = auditActor(c);
    const { task, preview } = await createFixTask(services.db, {
      ...actor,
      policyId: c.req.valid('param').id,
      body: c.req.valid('json'),
    });
    try {
      await startTaskWorkflow(services, task);
    } catch (err) {
      // The row is committed; its workflow is started by the next control call or the start-up repair.
      c.get('logger').error({ err, taskId: task.id }, 'could not start the task workflow yet');
    }
    return c.json({ ...toTaskDto(task), selection: preview }, 201);
  });

  app.openapi(previewRoute, async (c) => {
    const plan = await planFixTask(c.get('services').db, {
      accountId: c.get('caller').accountId,
      policyId: c.req.valid('param').id,
      body: c.req.valid('json'),
    });
    return c.json(plan.preview, 200);
  });

  app.openapi(listRoute, async (c) => {
    const { db } = c.get('services');
    const q = c.req.valid('query');
    const before = decodeCursor(q.cursor);
    const rows = await db
      .select()
      .from(playbookTasks)
      .where(
        and(
          eq(playbookTasks.accountId, c.get('caller').accountId),
          q.status ? eq(playbookTasks.status, q.status) : undefined,
          before ? lt(playbookTasks.id, before) : undefined,
        ),
      )
      .orderBy(desc(playbookTasks.id))
      .limit(q.limit + 1);
    const items = rows.slice(0, q.limit);
    const last = items[items.length - 1];
    return c.json(
      {
        items: items.map(toTaskDto),
        nextCursor: rows.length > q.limit && last ? encodeCursor(last.id) : null,
      },
      200,
    );
  });

  app.openapi(getRoute, async (c) => {
    const services = c.get('services');
    const { db } = services;
    const { id } = c.req.valid('param');
    const task = await findCheckedTask(services, c.get('caller').accountId, id, c.get('requestId'));
    const [assets, channels, log] = await Promise.all([
      taskAssets(db, task, { execution: task.execution, limit: 100 }),
      taskChannels(db, task),
      logSummary(db, task),
    ]);
    return c.json({ ...toTaskDto(task), assets: assets.slice(0, 100), notification: { channels }, log }, 200);
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
    const items = rows.slice(0, q.limit);
    const last = items[items.length - 1];
    return c.json({ items, nextCursor: rows.length > q.limit && last ? encodeCursor(last.id) : null }, 200);
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
    const items = rows.slice(0, q.limit);
    const last = items[items.length - 1];
    return c.json({ items, nextCursor: rows.length > q.limit && last ? encodeCursor(last.id) : null }, 200);
  });

  app.openapi(flowRoute, async (c) => {
    const services = c.get('services');
    const { db } = services;
    const { id } = c.req.valid('param');
    const task = await findCheckedTask(services, c.get('caller').accountId, id, c.get('requestId'));
    const flow = await taskFlow(db, task);
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
      const services = c.get('services');
      const actor = auditActor(c);
      // A task whose workflow ended outside Vigil is marked first, so that it is not restarted by the control call.
      const task = await findCheckedTask(
        services,
        actor.accountId,
        c.req.valid('param').id,
        c.get('requestId'),
      );
      if (isFinalTaskStatus(task.status)) throw conflict(`the task already ended (${task.status})`);
      const r = await controlTask(services, task, control);
      await recordAudit(services.db, {
        ...actor,
        action: `playbook_task.${control}`,
        targetType: 'playbook_task',
        targetId: task.id,
        before: { status: task.status },
        after: r,
      });
      return c.json({ status: r.status, executions: task.execution }, 200);
    });
  }

  app.openapi(
    controlRoute('rerun', 'Rerun the failed assets of a finished task as a new execution'),
    async (c) => {
      const services = c.get('services');
      const actor = auditActor(c);
      const id = c.req.valid('param').id;
      await findCheckedTask(services, actor.accountId, id, c.get('requestId'));
      const task = await services.db.transaction(async (tx) => {
        const [t] = await tx.select().from(playbookTasks).where(eq(playbookTasks.id, id)).for('update');
        if (!t) throw conflict('the task disappeared');
        if (!isFinalTaskStatus(t.status))
          throw conflict(`only an ended task can be rerun (it is ${t.status})`);
        const failed = await tx
          .select({ assetId: playbookTaskAssets.assetId })
          .from(playbookTaskAssets)
          .where(
            and(
              eq(playbookTaskAssets.taskId, id),
              eq(playbookTaskAssets.execution, t.execution),
              eq(playbookTaskAssets.status, 'Failed'),
            ),
          )
          .orderBy(playbookTaskAssets.position);
        if (failed.length === 0) throw conflict('the task has no failed assets to rerun');
        const execution = t.execution + 1;
        await tx.insert(playbookTaskAssets).values(
          failed.map((f, i) => ({
            accountId: t.accountId,
            taskId: id,
            execution,
            assetId: f.assetId,
            position: i,
          })),
        );
        await tx
          .update(playbookTaskVulnerabilities)
          .set({ status: 'pending', execution })
          .where(
            and(
              eq(playbookTaskVulnerabilities.taskId, id),
              inArray(
                playbookTaskVulnerabilities.assetId,
                failed.map((f) => f.assetId),
              ),
              inArray(playbookTaskVulnerabilities.status, ['failed', 'cancelled', 'skipped', 'pending']),
            ),
          );
        const [after] = await tx
          .update(playbookTasks)
          .set({ execution, status: 'Progressing', startedAt: new Date(), endedAt: null })
          .where(eq(playbookTasks.id, id))
          .returning();
        if (!after) throw conflict('the task disappeared');
        await recordAudit(tx, {
          ...actor,
          action: 'playbook_task.rerun',
          targetType: 'playbook_task',
          targetId: id,
          before: { status: t.status, execution: t.execution },
          after: { status: after.status, execution, assets: failed.length },
        });
        return after;
      });
      await startTaskWorkflow(services, task);
      return c.json({ status: task.status, executions: task.execution }, 200);
    },
  );
}
