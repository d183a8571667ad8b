import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { and, eq, gt, isNotNull } from 'drizzle-orm';
import {
  getImageSignature,
  signImage,
  verifyImage,
  type ImageSignatureRow,
} from '../../../activities/signing/signatures.js';
import { registrySourceFor } from '../../../activities/signing/registry-source.js';
import type { Database } from '../../../db/client.js';
import { trustedImages } from '../../../db/schema/signature.js';
import { cosignCommands, SIMPLE_SIGNING_MEDIA_TYPE } from '../../../domain/signature/cosign-payload.js';
import { TRUSTED_IMAGE_LABEL } from '../../../domain/signature/rules.js';
import { auditActor } from '../../audit-context.js';
import type { AppEnv } from '../../context.js';
import { notFound } from '../../errors.js';
import { decodeCursor, page, pageOf, ZPageQuerySchema } from '../../pagination.js';
import { defineRoute, json, jsonBody, ZIdParamSchema } from '../../router.js';
import { iso, provider, translate } from './shared.js';

const ZImageRefSchema = z.string().trim().min(1).max(512).openapi({
  example:
    'registry.example.com/team/app@sha256:d34db33fd34db33fd34db33fd34db33fd34db33fd34db33fd34db33fd34db33f',
});

export const ZSignatureSchema = z
  .object({
    id: z.uuid(),
    witnessId: z.uuid(),
    keyVersion: z.number().int(),
    image: z.string().openapi({ description: 'registry/repository@sha256:… as cosign names it' }),
    digest: z.string(),
    mediaType: z.literal(SIMPLE_SIGNING_MEDIA_TYPE),
    payload: z.string().openapi({ description: 'payload.json, exactly the signed bytes' }),
    payloadBase64: z.string(),
    signature: z.string().openapi({ description: 'RSASSA-PKCS1-v1_5 / SHA-256 signature, base64' }),
    cosign: z.object({ attach: z.string(), verify: z.string() }),
    createdAt: z.iso.datetime(),
  })
  .openapi('ImageSignature');

function toSignatureDto(s: ImageSignatureRow): z.infer<typeof ZSignatureSchema> {
  const image = { name: s.repository, digest: s.digest };
  return {
    id: s.id,
    witnessId: s.witnessId,
    keyVersion: s.keyVersion,
    image: `${s.repository}@${s.digest}`,
    digest: s.digest,
    mediaType: SIMPLE_SIGNING_MEDIA_TYPE,
    payload: s.payload,
    payloadBase64: Buffer.from(s.payload, 'utf8').toString('base64'),
    signature: s.signature,
    cosign: cosignCommands({ image, signatureBase64: s.signature }),
    createdAt: s.createdAt.toISOString(),
  };
}

const ZSignResultSchema = ZSignatureSchema.extend({
  registry: z
    .object({
      status: z.enum(['pushed', 'present', 'failed', 'skipped']),
      location: z.string().nullable().openapi({ description: 'registry/repository:sha256-<hex>.sig' }),
      reason: z.string().nullable(),
    })
    .openapi({
      description:
        "The signature written next to the image in its registry, cosign's layout (failed: the signature is kept in Vigil; sign again to retry)",
    }),
}).openapi('ImageSignResult');

const tags = ['signature'];

const signRoute = defineRoute({
  method: 'post',
  path: '/v1/signature/signatures',
  // Operator: signing applies the trust an admin set up (a witness) to one digest.
  role: 'operator',
  tags,
  summary: "Sign an image digest with a witness's current key (cosign simple signing); idempotent",
  request: {
    body: jsonBody(
      z.strictObject({
        image: ZImageRefSchema,
        witnessId: z.uuid(),
        push: z.boolean().default(true).openapi({
          description:
            "Also write the signature to the image's registry (tag sha256-<hex>.sig), as cosign sign does",
        }),
      }),
    ),
  },
  responses: { 200: json(ZSignResultSchema, 'Already signed'), 201: json(ZSignResultSchema, 'Signed') },
});

const getRoute = defineRoute({
  method: 'get',
  path: '/v1/signature/signatures/{id}',
  tags,
  summary: 'One signature',
  request: { params: ZIdParamSchema },
  responses: { 200: json(ZSignatureSchema) },
});

const exportRoute = defineRoute({
  method: 'get',
  path: '/v1/signature/signatures/{id}/export',
  tags,
  summary: 'payload.json, base64 signature and the cosign commands to attach and verify it',
  request: { params: ZIdParamSchema },
  responses: { 200: json(ZSignatureSchema) },
});

const ZVerifyResultSchema = z
  .object({
    valid: z.boolean(),
    image: z.string(),
    witnessId: z.uuid(),
    keyVersion: z.number().int().nullable(),
    reason: z.string(),
    digest: z
      .string()
      .nullable()
      .openapi({ description: 'The digest verified (a tag resolved through the registry)' }),
    warnings: z.array(z.string()),
    registryUnavailable: z.boolean().openapi({ description: 'The image registry could not be asked' }),
  })
  .openapi('VerifyResult');

const verifyRoute = defineRoute({
  method: 'post',
  path: '/v1/signature/verify',
  tags,
  role: 'viewer',
  summary:
    "Is this image validly signed by the witness? Checks Vigil's signatures and the cosign signatures in the image's registry (a tag is resolved there), or a given payload+signature",
  request: {
    body: jsonBody(
      z
        .strictObject({
          image: ZImageRefSchema,
          witnessId: z.uuid(),
          payload: z
            .base64()
            .optional()
            .openapi({ description: 'payload.json bytes, base64 (from a registry)' }),
          signature: z.base64().optional(),
        })
        .refine(
          (b) => (b.payload === undefined) === (b.signature === undefined),
          'give payload and signature together',
        ),
    ),
  },
  responses: { 200: json(ZVerifyResultSchema) },
});

const ZTrustedImageSchema = z
  .object({
    id: z.uuid(),
    image: z.string(),
    repository: z.string(),
    digest: z.string(),
    label: z.literal(TRUSTED_IMAGE_LABEL).nullable(),
    witnessId: z.uuid(),
    keyVersion: z.number().int(),
    clusterId: z.uuid(),
    namespace: z.string(),
    policyId: z.uuid(),
    firstVerifiedAt: z.iso.datetime(),
    lastVerifiedAt: z.iso.datetime(),
    revokedAt: z.iso.datetime().nullable(),
    revokedReason: z.string().nullable(),
  })
  .openapi('TrustedImage');

const trustedRoute = defineRoute({
  method: 'get',
  path: '/v1/signature/trusted-images',
  tags,
  summary: 'Images admission verified, labelled "Trusted Image" (?all=true includes revoked ones)',
  request: {
    query: ZPageQuerySchema.extend({
      all: z.enum(['true', 'false']).default('false'),
      witnessId: z.uuid().optional(),
    }),
  },
  responses: { 200: json(pageOf(ZTrustedImageSchema)) },
});

export function registerSignatureRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(signRoute, async (c) => {
    const { push, ...body } = c.req.valid('json');
    const services = c.get('services');
    const { signature, created, registry } = await translate(
      signImage(services.db, provider(c), {
        ...auditActor(c),
        ...body,
        registry: push ? registrySourceFor(services) : undefined,
      }),
    );
    c.get('logger').info(
      {
        signatureId: signature.id,
        witnessId: signature.witnessId,
        keyVersion: signature.keyVersion,
        created,
        registry: registry.status,
      },
      'image signed',
    );
    return c.json({ ...toSignatureDto(signature), registry }, created ? 201 : 200);
  });

  const load = async (db: Database, accountId: string, id: string) => {
    const row = await getImageSignature(db, { accountId, id });
    if (!row) throw notFound('signature');
    return toSignatureDto(row);
  };
  app.openapi(getRoute, async (c) =>
    c.json(await load(c.get('services').db, c.get('caller').accountId, c.req.valid('param').id), 200),
  );
  app.openapi(exportRoute, async (c) =>
    c.json(await load(c.get('services').db, c.get('caller').accountId, c.req.valid('param').id), 200),
  );

  app.openapi(verifyRoute, async (c) => {
    const body = c.req.valid('json');
    const services = c.get('services');
    const r = await translate(
      verifyImage(services.db, {
        accountId: c.get('caller').accountId,
        ...body,
        registry: registrySourceFor(services),
      }),
    );
    return c.json(
      {
        valid: r.ok,
        image: r.image,
        witnessId: r.witnessId,
        keyVersion: r.ok ? r.keyVersion : null,
        reason: r.ok ? `signed by key version ${r.keyVersion} of the witness` : r.reason,
        digest: r.digest ?? null,
        warnings: r.ok ? (r.warnings ?? []) : [],
        registryUnavailable: !r.ok && r.unavailable === true,
      },
      200,
    );
  });

  app.openapi(trustedRoute, async (c) => {
    const q = c.req.valid('query');
    const after = decodeCursor(q.cursor);
    const rows = await c
      .get('services')
      .db.select()
      .from(trustedImages)
      .where(
        and(
          eq(trustedImages.accountId, c.get('caller').accountId),
          q.all === 'true' ? undefined : isNotNull(trustedImages.label),
          q.witnessId ? eq(trustedImages.witnessId, q.witnessId) : undefined,
          after ? gt(trustedImages.id, after) : undefined,
        ),
      )
      .orderBy(trustedImages.id)
      .limit(q.limit + 1);
    const p = page(rows, q.limit);
    return c.json(
      {
        items: p.items.map((t) => ({
          id: t.id,
          image: `${t.repository}@${t.digest}`,
          repository: t.repository,
          digest: t.digest,
          label: t.label === TRUSTED_IMAGE_LABEL ? TRUSTED_IMAGE_LABEL : null,
          witnessId: t.witnessId,
          keyVersion: t.keyVersion,
          clusterId: t.clusterId,
          namespace: t.namespace,
          policyId: t.policyId,
          firstVerifiedAt: t.firstVerifiedAt.toISOString(),
          lastVerifiedAt: t.lastVerifiedAt.toISOString(),
          revokedAt: iso(t.revokedAt),
          revokedReason: t.revokedReason,
        })),
        nextCursor: p.nextCursor,
      },
      200,
    );
  });
}
