import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { listAdmissionDecisions } from '../../../services/signature/decision-views.js';
import { CONTAINER_FIELDS } from '../../../domain/signature/admission-review.js';
import { DIGEST_PATTERN } from '../../../domain/signature/image-reference.js';
import { ADMISSION_OUTCOMES, POLICY_MODES } from '../../../domain/signature/rules.js';
import type { AppEnv } from '../../context.js';
import { badRequest } from '../../errors.js';
import { decodeCursor, page, pageOf, ZPageQuerySchema } from '../../pagination.js';
import { defineRoute, json } from '../../router.js';

export const ZAdmissionDecisionSchema = z
  .object({
    id: z.uuid(),
    clusterId: z.uuid(),
    policyId: z.uuid().nullable(),
    policyVersion: z.number().int().nullable(),
    requestUid: z.string(),
    namespace: z.string(),
    kind: z.string(),
    name: z.string(),
    operation: z.string(),
    mode: z.enum(POLICY_MODES).nullable(),
    allowed: z.boolean(),
    outcome: z.enum(ADMISSION_OUTCOMES),
    message: z.string(),
    images: z.array(
      z.object({
        field: z.enum(CONTAINER_FIELDS),
        container: z.string(),
        image: z.string(),
        digest: z.string().optional().openapi({ description: 'The digest verified (a tag resolved)' }),
        indexDigest: z.string().optional().openapi({
          description: 'The signed image index whose signature covered this platform digest',
        }),
        platformDigests: z.array(z.string()).optional().openapi({
          description:
            'When a tag resolved to an image index: the platform images the index lists (at most 64), any of which a node may pull through the tag',
        }),
      }),
    ),
    createdAt: z.iso.datetime(),
  })
  .openapi('AdmissionDecision');
export type TAdmissionDecision = z.infer<typeof ZAdmissionDecisionSchema>;
export type TDecisionQuery = z.input<typeof ZDecisionQuerySchema>;

export const ZDecisionQuerySchema = ZPageQuerySchema.extend({
  clusterId: z.uuid().optional(),
  namespace: z.string().max(253).optional(),
  allowed: z.enum(['true', 'false']).optional(),
  outcome: z.enum(ADMISSION_OUTCOMES).optional(),
  image: z
    .string()
    .min(1)
    .max(512)
    .optional()
    .openapi({ description: 'An image exactly as the pod spec names it' }),
  digest: z.string().regex(DIGEST_PATTERN, 'must be sha256:<64 lowercase hex digits>').optional().openapi({
    description:
      'Decisions on any image pinned to this digest, resolved to it from a tag, covered by the signature of this image index, or listed as a platform image of the index a tag resolved to',
  }),
  since: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Made at or after this time' }),
  until: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Made before this time' }),
});

const listRoute = defineRoute({
  method: 'get',
  path: '/v1/signature/decisions',
  tags: ['signature'],
  summary:
    'Admission decisions, newest first, filtered by cluster, namespace, allowed, outcome, image, digest, time',
  request: { query: ZDecisionQuerySchema },
  responses: { 200: json(pageOf(ZAdmissionDecisionSchema)) },
});

export function registerDecisionRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(listRoute, async (c) => {
    const q = c.req.valid('query');
    const since = q.since ? new Date(q.since) : undefined;
    const until = q.until ? new Date(q.until) : undefined;
    if (since && until && since >= until) throw badRequest('since must be before until');
    const rows = await listAdmissionDecisions(c.get('services'), {
      accountId: c.get('caller').accountId,
      clusterId: q.clusterId,
      namespace: q.namespace,
      allowed: q.allowed === undefined ? undefined : q.allowed === 'true',
      outcome: q.outcome,
      image: q.image,
      digest: q.digest,
      since,
      until,
      before: decodeCursor(q.cursor),
      limit: q.limit,
    });
    const p = page(rows, q.limit);
    return c.json(
      {
        items: p.items.map((d): TAdmissionDecision => ({
          id: d.id,
          clusterId: d.clusterId,
          policyId: d.policyId,
          policyVersion: d.policyVersion,
          requestUid: d.requestUid,
          namespace: d.namespace,
          kind: d.kind,
          name: d.name,
          operation: d.operation,
          mode: d.mode,
          allowed: d.allowed,
          outcome: d.outcome,
          message: d.message,
          images: d.images as TAdmissionDecision['images'],
          createdAt: d.createdAt.toISOString(),
        })),
        nextCursor: p.nextCursor,
      },
      200,
    );
  });
}
