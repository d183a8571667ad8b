import { ZUnappliedSettingSchema } from '../../domain/agent-settings.js';
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { directoryOverview, memberRisks, type OverviewRow } from '../../services/multi-account/risk-views.js';
import { latestRevision, rolloutProgress } from '../../services/multi-account/rollout-state.js';
import { setMemberSettings } from '../../services/multi-account/set-member-settings.js';
import { SEVERITIES, VULNERABILITY_TYPES } from '../../domain/findings.js';
import { readStoredSettings, ZMemberSettingsSchema } from '../../domain/multi-account/member-settings.js';
import { memberSettingsWorkflowId, rolloutStatus } from '../../domain/multi-account/rollout.js';
import {
  SCORE_CATEGORIES,
  scoreBreakdown,
  severityTotal,
  type ScoreCategory,
} from '../../domain/multi-account/security-score.js';
import { auditActor } from '../audit-context.js';
import type { AppEnv } from '../context.js';
import { badRequest } from '../../domain/errors.js';
import { callerDirectory, callerMember } from '../multi-account-access.js';
import { ZPageQuerySchema } from '../pagination.js';
import { resourceRoutes } from '../route-shapes.js';
import { defineRoute, json, jsonBody, ZIdParamSchema } from '../router.js';

const tags = ['multi-account control'];
const DRIFT_LIST_LIMIT = 200;

const ZSeverityCountsSchema = z.object(
  Object.fromEntries(SEVERITIES.map((s) => [s, z.number().int()])) as Record<
    (typeof SEVERITIES)[number],
    z.ZodNumber
  >,
);

const ZDriftedAgentSchema = z.object({
  agentId: z.uuid(),
  assetId: z.uuid(),
  assetName: z.string(),
  appliedRevision: z.number().int(),
  online: z.boolean(),
  lastError: z.string().nullable(),
  /** What the agent reported it could not apply of the revision it runs, with the reason. */
  unapplied: z.array(ZUnappliedSettingSchema),
});

const ZMemberSettingsStateSchema = z
  .object({
    memberId: z.uuid(),
    revision: z.number().int().nullable(),
    settings: ZMemberSettingsSchema.nullable(),
    savedAt: z.iso.datetime().nullable(),
    savedBy: z.object({ actor: z.string(), accountId: z.uuid() }).nullable(),
    rollout: z.object({
      workflowId: z.string().nullable(),
      status: z.enum(['none', 'in-progress', 'converged']),
      agents: z.number().int(),
      applied: z.number().int(),
      driftCount: z.number().int(),
    }),
    /** Agents not on the latest revision (first 200 by agent id). */
    drift: z.array(ZDriftedAgentSchema),
    /** Agents on the latest revision that could not apply all of it, e.g. no OpenSCAP (first 200 by agent id). */
    partial: z.array(ZDriftedAgentSchema),
  })
  .openapi('MemberSettingsState');

const ZRiskSummarySchema = z.object({
  accountId: z.uuid(),
  score: z.number().int().min(0).max(100),
  unhandledAlerts: z.number().int(),
  openVulnerabilities: z.number().int(),
  baselineRisks: z.number().int(),
});

const ZMemberRisksSchema = ZRiskSummarySchema.extend({
  alertsBySeverity: ZSeverityCountsSchema,
  vulnerabilitiesBySeverity: ZSeverityCountsSchema,
  vulnerabilitiesByType: z.object(
    Object.fromEntries(VULNERABILITY_TYPES.map((t) => [t, ZSeverityCountsSchema])) as Record<
      (typeof VULNERABILITY_TYPES)[number],
      typeof ZSeverityCountsSchema
    >,
  ),
  baselineRisksBySeverity: ZSeverityCountsSchema,
}).openapi('MemberRisks');

export type TMemberSettingsState = z.infer<typeof ZMemberSettingsStateSchema>;
export type TMemberRisks = z.infer<typeof ZMemberRisksSchema>;
export type TPutMemberSettingsBody = z.input<typeof ZMemberSettingsSchema>;

const putSettingsRoute = defineRoute({
  method: 'put',
  path: '/v1/multi-account/members/{id}/settings',
  // Admin: it changes another account's protection.
  role: 'admin',
  tags,
  summary: "Save a member's protection settings as a new revision and roll it out to the member's agents",
  description:
    "A whole settings document: every field becomes the member's own (an override), so the directory " +
    'settings policy no longer changes any of them. To inherit the policy for some fields, set only the others ' +
    'with `PUT /v1/multi-account/members/{id}/settings/overrides`.',
  request: { params: ZIdParamSchema, body: jsonBody(ZMemberSettingsSchema) },
  responses: { 200: json(ZMemberSettingsStateSchema) },
});

const getSettingsRoute = defineRoute({
  method: 'get',
  path: '/v1/multi-account/members/{id}/settings',
  operationId: 'getMultiAccountMemberSettings',
  tags,
  summary: "A member's latest settings, rollout progress and drift list",
  request: { params: ZIdParamSchema },
  responses: { 200: json(ZMemberSettingsStateSchema) },
});

const risksRoute = resourceRoutes('/v1/multi-account/members', tags, ZMemberRisksSchema).child(
  'risks',
  "A member's security score, unhandled alerts, open vulnerabilities and baseline risks",
  ZMemberRisksSchema,
);

const overviewRoute = defineRoute({
  method: 'get',
  path: '/v1/multi-account/overview',
  tags,
  summary: 'Every managed member with its security score, lowest score first',
  request: { query: ZPageQuerySchema },
  responses: {
    200: json(
      z.object({
        items: z.array(
          ZRiskSummarySchema.extend({
            name: z.string(),
            /** The points each category costs the score (details: GET /members/{id}/score). */
            pointsLost: z.object(
              Object.fromEntries(SCORE_CATEGORIES.map((k) => [k, z.number()])) as Record<
                (typeof SCORE_CATEGORIES)[number],
                z.ZodNumber
              >,
            ),
          }),
        ),
        nextCursor: z.string().nullable(),
      }),
    ),
  },
});

/** The points each category costs a member's score. */
function pointsLost(r: OverviewRow): Record<ScoreCategory, number> {
  const b = scoreBreakdown({
    alerts: r.unhandledAlerts,
    vulnerabilities: r.openVulnerabilities,
    baselineRisks: r.baselineRisks,
  });
  return Object.fromEntries(b.categories.map((c) => [c.category, c.points])) as Record<ScoreCategory, number>;
}

/** Overview cursors name the last (score, account) seen, since the order is by score. */
function encodeOverviewCursor(score: number, accountId: string): string {
  return Buffer.from(JSON.stringify({ score, id: accountId })).toString('base64url');
}

function decodeOverviewCursor(cursor: string | undefined): { score: number; id: string } | undefined {
  if (!cursor) return undefined;
  const parsed = z.object({ score: z.number().int(), id: z.uuid() }).safeParse(
    (() => {
      try {
        return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
      } catch {
        return null;
      }
    })(),
  );
  if (!parsed.success) throw badRequest('cursor is not valid; pass back the nextCursor of a previous page');
  return parsed.data;
}

export function registerMemberSettingsRoutes(app: OpenAPIHono<AppEnv>): void {
  async function settingsState(db: AppEnv['Variables']['services']['db'], memberId: string) {
    const latest = await latestRevision(db, memberId);
    const progress = latest
      ? await rolloutProgress(db, { memberId, revision: latest.revision, driftLimit: DRIFT_LIST_LIMIT })
      : { agents: 0, applied: 0, driftCount: 0, drift: [], partial: [] };
    return {
      memberId,
      revision: latest?.revision ?? null,
      // Revisions saved under an older schema read with today's defaults for the fields they predate.
      settings: latest ? readStoredSettings(latest.settings) : null,
      savedAt: latest?.createdAt.toISOString() ?? null,
      savedBy: latest ? { actor: latest.actor, accountId: latest.actorAccountId } : null,
      rollout: {
        workflowId: latest ? memberSettingsWorkflowId(memberId, latest.revision) : null,
        status: rolloutStatus({ revision: latest?.revision ?? null, driftCount: progress.driftCount }),
        agents: progress.agents,
        applied: progress.applied,
        driftCount: progress.driftCount,
      },
      drift: progress.drift,
      partial: progress.partial,
    };
  }

  app.openapi(putSettingsRoute, async (c) => {
    const services = c.get('services');
    const { memberId } = await callerMember(c, c.req.valid('param').id);
    await setMemberSettings(services, { by: auditActor(c), memberId, settings: c.req.valid('json') });
    return c.json(await settingsState(services.db, memberId), 200);
  });

  app.openapi(getSettingsRoute, async (c) => {
    const { db } = c.get('services');
    const { memberId } = await callerMember(c, c.req.valid('param').id);
    return c.json(await settingsState(db, memberId), 200);
  });

  app.openapi(risksRoute, async (c) => {
    const { db } = c.get('services');
    const { memberId } = await callerMember(c, c.req.valid('param').id);
    const r = await memberRisks(db, memberId);
    return c.json(
      {
        accountId: r.accountId,
        score: r.score,
        unhandledAlerts: severityTotal(r.unhandledAlerts),
        openVulnerabilities: severityTotal(r.openVulnerabilities),
        baselineRisks: severityTotal(r.baselineRisks),
        alertsBySeverity: r.unhandledAlerts,
        vulnerabilitiesBySeverity: r.openVulnerabilities,
        vulnerabilitiesByType: r.vulnerabilitiesByType,
        baselineRisksBySeverity: r.baselineRisks,
      },
      200,
    );
  });

  app.openapi(overviewRoute, async (c) => {
    const { directory } = await callerDirectory(c);
    const q = c.req.valid('query');
    const after = decodeOverviewCursor(q.cursor);
    const rows = await directoryOverview(c.get('services').db, directory.id);
    const start = after
      ? rows.findIndex((r) => r.score > after.score || (r.score === after.score && r.accountId > after.id))
      : 0;
    const slice = start < 0 ? [] : rows.slice(start, start + q.limit);
    const last = slice[slice.length - 1];
    const more = start >= 0 && start + q.limit < rows.length;
    return c.json(
      {
        items: slice.map((r) => ({
          accountId: r.accountId,
          name: r.name,
          score: r.score,
          unhandledAlerts: severityTotal(r.unhandledAlerts),
          openVulnerabilities: severityTotal(r.openVulnerabilities),
          baselineRisks: severityTotal(r.baselineRisks),
          pointsLost: pointsLost(r),
        })),
        nextCursor: more && last ? encodeOverviewCursor(last.score, last.accountId) : null,
      },
      200,
    );
  });
}
