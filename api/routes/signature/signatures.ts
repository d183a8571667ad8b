import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { signImage } from '../../../services/signature/sign-image.js';
import {
  getImageSignature,
  listTrustedImages,
  type ImageSignatureRow,
  type TrustedImageRow,
} from '../../../services/signature/signature-views.js';
import { verifyImage } from '../../../services/signature/verify-image.js';
import { cosignCommands, SIMPLE_SIGNING_MEDIA_TYPE } from '../../../domain/signature/cosign-payload.js';
import { TRUSTED_IMAGE_LABEL } from '../../../domain/signature/rules.js';
import { auditActor } from '../../audit-context.js';
import type { AppEnv } from '../../context.js';
import { accountPage, ZPageQuerySchema } from '../../pagination.js';
import { resourceRoutes } from '../../route-shapes.js';
import { defineRoute, json, jsonBody, ZIdParamSchema } from '../../router.js';
import { iso } from './shared.js';

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
export type TImageSignature = z.infer<typeof ZSignatureSchema>;

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
export type TSignResult = z.infer<typeof ZSignResultSchema>;

const tags = ['signature'];

const ZSignBodySchema = z.strictObject({
  image: ZImageRefSchema,
  witnessId: z.uuid(),
  push: z.boolean().default(true).openapi({
    description:
      "Also write the signature to the image's registry (tag sha256-<hex>.sig), as cosign sign does",
  }),
});
export type TSignBody = z.input<typeof ZSignBodySchema>;

const signRoute = defineRoute({
  method: 'post',
  path: '/v1/signature/signatures',
  // Operator: signing applies the trust an admin set up (a witness) to one digest.
  role: 'operator',
  tags,
  summary: "Sign an image digest with a witness's current key (cosign simple signing); idempotent",
  request: { body: jsonBody(ZSignBodySchema) },
  responses: { 200: json(ZSignResultSchema, 'Already signed'), 201: json(ZSignResultSchema, 'Signed') },
});

const getRoute = resourceRoutes('/v1/signature/signatures', tags, ZSignatureSchema).get('One signature');

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
    indexDigest: z.string().nullable().openapi({
      description:
        'The signed image index whose signature covers this platform digest (image written name:tag@sha256:…, the tag naming the index)',
    }),
  })
  .openapi('VerifyResult');
export type TVerifyResult = z.infer<typeof ZVerifyResultSchema>;

const ZVerifyBodySchema = z
  .strictObject({
    image: ZImageRefSchema,
    witnessId: z.uuid(),
    payload: z.base64().optional().openapi({ description: 'payload.json bytes, base64 (from a registry)' }),
    signature: z.base64().optional(),
  })
  .refine(
    (b) => (b.payload === undefined) === (b.signature === undefined),
    'give payload and signature together',
  );
export type TVerifyBody = z.input<typeof ZVerifyBodySchema>;

const verifyRoute = defineRoute({
  method: 'post',
  path: '/v1/signature/verify',
  tags,
  role: 'viewer',
  summary:
    "Is this image validly signed by the witness? Checks Vigil's signatures and the cosign signatures in the image's registry (a tag is resolved there), or a given payload+signature",
  request: { body: jsonBody(ZVerifyBodySchema) },
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
export type TTrustedImage = z.infer<typeof ZTrustedImageSchema>;

const ZTrustedImageQuerySchema = ZPageQuerySchema.extend({
  all: z.enum(['true', 'false']).default('false'),
  witnessId: z.uuid().optional(),
});
export type TTrustedImageQuery = z.input<typeof ZTrustedImageQuerySchema>;

const toTrustedImageDto = (t: TrustedImageRow): TTrustedImage => ({
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
});

const trustedRoute = resourceRoutes('/v1/signature/trusted-images', tags, ZTrustedImageSchema).list(
  'Images admission verified, labelled "Trusted Image" (?all=true includes revoked ones)',
  ZTrustedImageQuerySchema,
);

export function registerSignatureRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(signRoute, async (c) => {
    const { signature, created, registry } = await signImage(
      c.get('services'),
      auditActor(c),
      c.req.valid('json'),
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

  app.openapi(getRoute, async (c) => {
    const row = await getImageSignature(c.get('services').db, {
      accountId: c.get('caller').accountId,
      id: c.req.valid('param').id,
    });
    return c.json(toSignatureDto(row), 200);
  });
  app.openapi(exportRoute, async (c) => {
    const row = await getImageSignature(c.get('services').db, {
      accountId: c.get('caller').accountId,
      id: c.req.valid('param').id,
    });
    return c.json(toSignatureDto(row), 200);
  });

  app.openapi(verifyRoute, async (c) => {
    const r = await verifyImage(c.get('services'), {
      accountId: c.get('caller').accountId,
      ...c.req.valid('json'),
    });
    return c.json(
      {
        valid: r.ok,
        image: r.image,
        witnessId: r.witnessId,
        keyVersion: r.ok ? r.keyVersion : null,
        reason: r.ok
          ? `signed by key version ${r.keyVersion} of the witness${r.index ? ` (through image index ${r.index})` : ''}`
          : r.reason,
        digest: r.digest ?? null,
        warnings: r.ok ? (r.warnings ?? []) : [],
        registryUnavailable: !r.ok && r.unavailable === true,
        indexDigest: r.ok ? (r.index ?? null) : null,
      },
      200,
    );
  });

  app.openapi(trustedRoute, async (c) => {
    const q = c.req.valid('query');
    const body = await accountPage(
      c,
      q,
      (db, keyset) => listTrustedImages(db, { ...keyset, all: q.all === 'true', witnessId: q.witnessId }),
      toTrustedImageDto,
    );
    return c.json(body, 200);
  });
}
