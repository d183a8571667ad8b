import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { createEnrollmentToken } from '../../services/agents/create-enrollment-token.js';
import { deleteEnrollmentToken } from '../../services/agents/delete-enrollment-token.js';
import {
  listEnrollmentTokens,
  type EnrollmentTokenRow,
} from '../../services/agents/enrollment-token-views.js';
import {
  DEFAULT_ENROLLMENT_TOKEN_HOURS,
  MAX_ENROLLMENT_TOKEN_HOURS,
  MAX_ENROLLMENT_TOKEN_USES,
} from '../../domain/agent-jobs.js';
import { auditActor } from '../audit-context.js';
import type { AppEnv } from '../context.js';
import { notFound } from '../errors.js';
import { accountPage } from '../pagination.js';
import { resourceRoutes } from '../route-shapes.js';
import { defineRoute, json, jsonBody } from '../router.js';

const ZEnrollmentTokenSchema = z
  .object({
    id: z.uuid(),
    assetId: z
      .uuid()
      .nullable()
      .openapi({ description: 'Agents enrolled with this token bind to this asset' }),
    description: z.string(),
    expiresAt: z.iso.datetime(),
    maxUses: z.number().int().nullable(),
    uses: z.number().int(),
    lastUsedAt: z.iso.datetime().nullable(),
    createdAt: z.iso.datetime(),
  })
  .openapi('AgentEnrollmentToken');

const ZCreatedEnrollmentTokenSchema = ZEnrollmentTokenSchema.extend({
  token: z.string().openapi({ description: 'Shown once; pass it to `npm run agent -- --enroll <token>`' }),
}).openapi('CreatedAgentEnrollmentToken');

function toDto(row: EnrollmentTokenRow): z.infer<typeof ZEnrollmentTokenSchema> {
  return {
    id: row.id,
    assetId: row.assetId,
    description: row.description,
    expiresAt: row.expiresAt.toISOString(),
    maxUses: row.maxUses,
    uses: row.uses,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

const ZCreateEnrollmentTokenBodySchema = z.strictObject({
  assetId: z.uuid().optional(),
  expiresInHours: z
    .number()
    .int()
    .min(1)
    .max(MAX_ENROLLMENT_TOKEN_HOURS)
    .default(DEFAULT_ENROLLMENT_TOKEN_HOURS),
  maxUses: z.number().int().min(1).max(MAX_ENROLLMENT_TOKEN_USES).optional(),
  description: z.string().max(500).optional(),
});

export type TEnrollmentToken = z.infer<typeof ZEnrollmentTokenSchema>;
export type TCreatedEnrollmentToken = z.infer<typeof ZCreatedEnrollmentTokenSchema>;
export type TCreateEnrollmentTokenBody = z.input<typeof ZCreateEnrollmentTokenBodySchema>;

const createRouteDef = defineRoute({
  method: 'post',
  path: '/v1/agent-enrollment-tokens',
  tags: ['agents'],
  summary: 'Create an enrollment token for agents (returned once)',
  request: {
    body: jsonBody(ZCreateEnrollmentTokenBodySchema),
  },
  responses: { 201: json(ZCreatedEnrollmentTokenSchema, 'Created') },
});

const tokens = resourceRoutes('/v1/agent-enrollment-tokens', ['agents'], ZEnrollmentTokenSchema);
const listRouteDef = tokens.list('List enrollment tokens (never the tokens themselves)');
const deleteRouteDef = tokens.delete('Delete an enrollment token; agents it enrolled keep working');

export function registerAgentEnrollmentTokenRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(createRouteDef, async (c) => {
    const { db } = c.get('services');
    const actor = auditActor(c);
    const { row, token } = await createEnrollmentToken(db, actor, c.req.valid('json'));
    return c.json({ ...toDto(row), token }, 201);
  });

  app.openapi(listRouteDef, async (c) => {
    return c.json(await accountPage(c, c.req.valid('query'), listEnrollmentTokens, toDto), 200);
  });

  app.openapi(deleteRouteDef, async (c) => {
    const { db } = c.get('services');
    const deleted = await deleteEnrollmentToken(db, { ...auditActor(c), id: c.req.valid('param').id });
    if (!deleted) throw notFound('enrollment token');
    return c.body(null, 204);
  });
}
