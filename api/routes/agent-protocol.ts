import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { registerAgent } from '../../services/agents/register-agent.js';
import {
  startBaselineCheckCycle,
  startFindingRetention,
  startHostScanCycle,
} from '../../services/inventory/start-host-scan.js';
import type { AgentJobRow, DeliveryDeps } from '../../services/agents/job-delivery.js';
import { findAgentJob } from '../../services/agents/agent-job-scope.js';
import { appendJobOutput } from '../../services/agents/append-job-output.js';
import { pollAgentJobs } from '../../services/agents/poll-agent-jobs.js';
import { recordJobHeartbeat } from '../../services/agents/record-job-heartbeat.js';
import { recordJobResult } from '../../services/agents/record-job-result.js';
import {
  MAX_LONG_POLL_SECONDS,
  ZAgentJobSchema,
  ZHeartbeatRequestSchema,
  ZJobResultRequestSchema,
  ZJobResultResponseSchema,
  ZOutputChunkSchema,
  ZRegisterRequestSchema,
  ZRegisterResponseSchema,
  type TAgentJob,
} from '../../domain/agent-jobs.js';
import type { AppEnv } from '../context.js';
import { agentAuth } from '../middleware/agent-auth.js';
import { ApiError, badRequest, CANNOT_STORE, conflict, isDataException, notFound } from '../errors.js';
import { defineRoute, json, jsonBody, ZIdParamSchema } from '../router.js';

/**
 * The pull protocol agents speak (DESIGN §1: agents never talk to Temporal). Authenticated by the agent token,
 * not an API key; every job route only sees the jobs of the agent's own asset.
 */

const REFUSALS = {
  unknown: 'the enrollment token is unknown or was deleted',
  expired: 'the enrollment token has expired; create a new one',
  exhausted: 'the enrollment token has been used its maximum number of times',
} as const;

const registerRouteDef = defineRoute({
  method: 'post',
  path: '/agent/v1/register',
  auth: 'enrollmentToken',
  tags: ['agent protocol'],
  summary: 'Exchange an enrollment token for an agent token bound to one asset (the token is returned once)',
  request: { body: jsonBody(ZRegisterRequestSchema) },
  responses: { 201: json(ZRegisterResponseSchema, 'Registered') },
});

const agentRoute = { auth: 'agentToken' as const, tags: ['agent protocol'], middleware: [agentAuth()] };

/** The long poll's query (also checked by the lean path in api/agent-poll-listener.ts). */
export const ZAgentPollQuerySchema = z.object({
  waitSeconds: z.coerce.number().int().min(0).max(MAX_LONG_POLL_SECONDS).default(MAX_LONG_POLL_SECONDS),
});

/** Documented and served by Hono; api/agent-poll-listener.ts answers plain polls of this path before Hono. */
export const jobsRouteDef = defineRoute({
  ...agentRoute,
  method: 'get',
  path: '/agent/v1/jobs',
  summary: `Long poll (up to ${MAX_LONG_POLL_SECONDS} s) for the next job of this agent's asset; 204 when none`,
  request: { query: ZAgentPollQuerySchema },
  responses: { 200: json(ZAgentJobSchema), 204: { description: 'No job within the wait' } },
});

const heartbeatRouteDef = defineRoute({
  ...agentRoute,
  method: 'post',
  path: '/agent/v1/jobs/{id}/heartbeat',
  summary:
    'Report that the job is alive (optionally with progress and an output chunk); answers whether to cancel',
  request: { params: ZIdParamSchema, body: jsonBody(ZHeartbeatRequestSchema) },
  responses: { 200: json(z.object({ cancel: z.boolean(), outputLength: z.number().int() })) },
});

const outputRouteDef = defineRoute({
  ...agentRoute,
  method: 'post',
  path: '/agent/v1/jobs/{id}/output',
  summary: 'Append an output chunk at an offset (resending a chunk is harmless)',
  request: { params: ZIdParamSchema, body: jsonBody(ZOutputChunkSchema) },
  responses: { 200: json(z.object({ outputLength: z.number().int() })) },
});

const resultRouteDef = defineRoute({
  ...agentRoute,
  method: 'post',
  path: '/agent/v1/jobs/{id}/result',
  summary: 'Post the outcome (exit code, full output, details); idempotent',
  request: { params: ZIdParamSchema, body: jsonBody(ZJobResultRequestSchema) },
  responses: { 200: json(ZJobResultResponseSchema) },
});

function deliveryDeps(c: Context<AppEnv>): DeliveryDeps {
  const { db, temporal, logger } = c.get('services');
  return { db, temporal, logger: c.get('logger') ?? logger };
}

export function toAgentJob(row: AgentJobRow): TAgentJob {
  return {
    id: row.id,
    kind: row.kind,
    payload: row.payload,
    summary: row.summary,
    attempt: row.attempt,
    createdAt: row.createdAt.toISOString(),
  };
}

async function ownJob(c: Context<AppEnv>, deps: DeliveryDeps, id: string): Promise<AgentJobRow> {
  const job = await findAgentJob(deps, c.get('agent'), id);
  if (!job) throw notFound('job');
  return job;
}

export function registerAgentProtocolRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(registerRouteDef, async (c) => {
    const outcome = await registerAgent(c.get('services').db, c.req.valid('json'));
    if (!outcome.ok) throw new ApiError('unauthorized', REFUSALS[outcome.reason]);
    const { ok: _ok, ...body } = outcome;
    const req = c.req.valid('json');
    const target = {
      accountId: outcome.accountId,
      assetId: outcome.assetId,
      assetName: req.name ?? req.hostname,
    };
    const started = (what: string) => (err: unknown) =>
      c.get('logger').error({ err, assetId: outcome.assetId }, `could not start the ${what}`);
    if (req.capabilities?.scan === true) {
      // Detection starts at enrollment (DESIGN §5): the host's scan loop, kept if it already runs. Only agents that
      // say they inventory their host get one (older agents' scans report no inventory). The agent holds its token
      // either way; a loop that could not start now starts at the agent's next enrollment.
      await startHostScanCycle(c.get('services'), target).catch(started('host scan loop'));
      await startFindingRetention(c.get('services'), outcome.accountId).catch(started('finding retention'));
    }
    if (req.capabilities?.baseline !== undefined) {
      // Agents that know baseline checks get the loop even without OpenSCAP: their "unsupported" is recorded.
      await startBaselineCheckCycle(c.get('services'), target).catch(started('baseline check loop'));
    }
    return c.json({ agentId: body.agentId, assetId: body.assetId, agentToken: body.agentToken }, 201);
  });

  app.openapi(jobsRouteDef, async (c) => {
    const job = await pollAgentJobs({
      deps: deliveryDeps(c),
      agent: c.get('agent'),
      waitSeconds: c.req.valid('query').waitSeconds,
      signal: c.req.raw.signal,
      dbDriver: c.get('services').dbDriver,
    });
    return job ? c.json(toAgentJob(job), 200) : c.body(null, 204);
  });

  app.openapi(heartbeatRouteDef, async (c) => {
    const deps = deliveryDeps(c);
    const body = c.req.valid('json');
    const id = c.req.valid('param').id;
    let outputLength: number | null = null;
    if (body.output) {
      const appended = await appendJobOutput(deps, await ownJob(c, deps, id), body.output);
      outputLength = appended.ok ? appended.length : appended.expectedOffset;
    }
    const answer = await recordJobHeartbeat(deps, c.get('agent'), id, body.progress);
    if (!answer) throw notFound('job');
    return c.json({ cancel: answer.cancel, outputLength: outputLength ?? answer.outputLength }, 200);
  });

  app.openapi(outputRouteDef, async (c) => {
    const deps = deliveryDeps(c);
    const job = await ownJob(c, deps, c.req.valid('param').id);
    const appended = await appendJobOutput(deps, job, c.req.valid('json'));
    if (!appended.ok) {
      throw conflict(`output chunk leaves a gap; resend from offset ${appended.expectedOffset}`, {
        expectedOffset: appended.expectedOffset,
      });
    }
    return c.json({ outputLength: appended.length }, 200);
  });

  app.openapi(resultRouteDef, async (c) => {
    const deps = deliveryDeps(c);
    const id = c.req.valid('param').id;
    let outcome: Awaited<ReturnType<typeof recordJobResult>>;
    try {
      outcome = await recordJobResult(deps, c.get('agent'), id, c.req.valid('json'));
    } catch (err) {
      // A value the database can never store is the agent's 400: resending it would fail the same way.
      if (isDataException(err)) throw badRequest(CANNOT_STORE);
      deps.logger.warn({ err, jobId: id }, 'agent job result not fully recorded or delivered');
      throw new ApiError(
        'unavailable',
        'the result could not be recorded and delivered yet; resend it later',
      );
    }
    if (!outcome) throw notFound('job');
    if ('conflict' in outcome) throw conflict(outcome.conflict);
    return c.json(outcome, 200);
  });
}
