import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { KeyVersionInfo } from '../../../services/signature/key-provider.js';
import { createWitness } from '../../../services/signature/create-witness.js';
import { disableKeyVersion } from '../../../services/signature/disable-key-version.js';
import { disableWitness } from '../../../services/signature/disable-witness.js';
import { rotateWitnessKey } from '../../../services/signature/rotate-witness-key.js';
import {
  getWitness,
  getWitnessPublicKey,
  listWitnesses,
  type WitnessWithVersions,
} from '../../../services/signature/witness-views.js';
import { WITNESS_KEY_ORIGINS } from '../../../domain/signature/witness-keys.js';
import {
  KEY_VERSION_STATUSES,
  WITNESS_KEY_SPECS,
  WITNESS_PURPOSES,
  WITNESS_STATUSES,
} from '../../../domain/signature/rules.js';
import { auditActor } from '../../audit-context.js';
import type { AppEnv } from '../../context.js';
import { decodeCursor, page } from '../../pagination.js';
import { resourceRoutes } from '../../route-shapes.js';
import { defineRoute, json, ZIdParamSchema } from '../../router.js';
import { iso } from './shared.js';
import { coercedInt32, displayName } from '../../../domain/input-rules.js';

const ZKeyVersionSchema = z
  .object({
    version: z.number().int(),
    status: z.enum(KEY_VERSION_STATUSES),
    fingerprint: z.string().openapi({ description: 'SHA-256 of the public key (SPKI DER), hex' }),
    current: z.boolean(),
    createdAt: z.iso.datetime(),
    disabledAt: z.iso.datetime().nullable(),
  })
  .openapi('WitnessKeyVersion');

export const ZWitnessSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string(),
    keySpec: z.enum(WITNESS_KEY_SPECS),
    purpose: z.enum(WITNESS_PURPOSES),
    provider: z.string(),
    keyOrigin: z.enum(WITNESS_KEY_ORIGINS).openapi({
      description: 'generated here, an imported private key, a public key only (verify only), or a KMS key',
    }),
    status: z.enum(WITNESS_STATUSES),
    currentVersion: z.number().int(),
    versions: z.array(ZKeyVersionSchema),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    disabledAt: z.iso.datetime().nullable(),
  })
  .openapi('Witness');

const toVersionDto = (w: WitnessWithVersions) => (v: KeyVersionInfo) => ({
  version: v.version,
  status: v.status,
  fingerprint: v.fingerprint,
  current: v.version === w.currentVersion,
  createdAt: v.createdAt.toISOString(),
  disabledAt: iso(v.disabledAt),
});

function toWitnessDto(w: WitnessWithVersions): z.infer<typeof ZWitnessSchema> {
  return {
    id: w.id,
    name: w.name,
    description: w.description,
    keySpec: w.keySpec,
    purpose: w.purpose,
    provider: w.provider,
    keyOrigin: w.keyOrigin,
    status: w.status,
    currentVersion: w.currentVersion,
    versions: w.versions.map(toVersionDto(w)),
    createdAt: w.createdAt.toISOString(),
    updatedAt: w.updatedAt.toISOString(),
    disabledAt: iso(w.disabledAt),
  };
}

const tags = ['signature'];
const ZVersionParamSchema = ZIdParamSchema.extend({ version: coercedInt32().min(1) });
const ZDisableResultSchema = ZWitnessSchema.extend({
  revocationWorkflowId: z
    .string()
    .nullable()
    .openapi({ description: 'Workflow re-checking images trusted through it' }),
});

const ZPemSchema = z.string().min(64).max(16_384);
const ZKeySourceSchema = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('generate') }),
    z.strictObject({
      type: z.literal('privateKey'),
      pem: ZPemSchema.openapi({ description: 'Unencrypted RSA-2048 private key, PKCS#8 or PKCS#1 PEM' }),
    }),
    z.strictObject({
      type: z.literal('publicKey'),
      pem: ZPemSchema.openapi({
        description: 'RSA-2048 public key PEM (cosign.pub): the witness only verifies',
      }),
    }),
    z.strictObject({
      type: z.literal('awsKms'),
      keyId: z.string().min(1).max(2048).optional().openapi({
        description: 'An existing RSA_2048 SIGN_VERIFY key (id, ARN or alias); omitted: a new key',
      }),
    }),
  ])
  .openapi('WitnessKeySource', {
    description: 'Where the key comes from; the private key of an AWS KMS key never leaves the KMS',
  });

const ZCreateWitnessBodySchema = z.strictObject({
  name: displayName(100),
  description: z.string().max(1000).default(''),
  keySpec: z.enum(WITNESS_KEY_SPECS).default('RSA_2048'),
  purpose: z.enum(WITNESS_PURPOSES).default('SIGN/VERIFY'),
  key: ZKeySourceSchema.default({ type: 'generate' }),
});

export type TWitness = z.infer<typeof ZWitnessSchema>;
export type TWitnessKeyVersion = z.infer<typeof ZKeyVersionSchema>;
export type TWitnessKeySource = z.input<typeof ZKeySourceSchema>;
export type TCreateWitnessBody = z.input<typeof ZCreateWitnessBodySchema>;
export type TDisabledWitness = z.infer<typeof ZDisableResultSchema>;

// Admin writes: a witness's keys decide which images every cluster trusts.
const witnesses = resourceRoutes('/v1/signature/witnesses', tags, ZWitnessSchema, { writeRole: 'admin' });
const createRoute = witnesses.create(
  'Create a witness with an RSA-2048 key (version 1): generated, an imported private key, a public key only (verify only), or an AWS KMS key',
  ZCreateWitnessBodySchema,
);
const listRoute = witnesses.list('List witnesses');
const getRoute = witnesses.get('One witness and its key versions');

const publicKeyRoute = defineRoute({
  method: 'get',
  path: '/v1/signature/witnesses/{id}/public-key',
  tags,
  summary: 'Public key as PEM (cosign verify --key); ?version= for an older key version',
  request: {
    params: ZIdParamSchema,
    query: z.object({ version: coercedInt32().min(1).optional() }),
  },
  responses: {
    200: {
      description: 'PEM (SubjectPublicKeyInfo)',
      content: { 'application/x-pem-file': { schema: z.string() }, 'text/plain': { schema: z.string() } },
    },
  },
});

const rotateRoute = witnesses.action(
  'rotate',
  'Rotate to a new key version; older versions keep verifying until disabled',
);

const disableVersionRoute = defineRoute({
  method: 'post',
  path: '/v1/signature/witnesses/{id}/versions/{version}/disable',
  // Admin: a witness's keys decide which images every cluster trusts.
  role: 'admin',
  tags,
  summary: 'Disable a key version for good and revoke the Trusted Image labels it earned',
  request: { params: ZVersionParamSchema },
  responses: { 200: json(ZDisableResultSchema) },
});

const disableWitnessRoute = witnesses.action(
  'disable',
  'Disable the witness and every key version; revoke the Trusted Image labels it earned',
  { status: 200, schema: ZDisableResultSchema, description: 'OK' },
);

export function registerWitnessRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(createRoute, async (c) => {
    const { key, ...body } = c.req.valid('json');
    const w = await createWitness(c.get('services'), auditActor(c), { ...body, source: key });
    c.get('logger').info({ witnessId: w.id, fingerprint: w.versions[0]?.fingerprint }, 'witness created');
    return c.json(toWitnessDto(w), 201);
  });

  app.openapi(listRoute, async (c) => {
    const q = c.req.valid('query');
    const rows = await listWitnesses(c.get('services'), {
      accountId: c.get('caller').accountId,
      after: decodeCursor(q.cursor),
      limit: q.limit,
    });
    const p = page(rows, q.limit);
    return c.json({ items: p.items.map(toWitnessDto), nextCursor: p.nextCursor }, 200);
  });

  app.openapi(getRoute, async (c) => {
    const w = await getWitness(c.get('services'), {
      accountId: c.get('caller').accountId,
      witnessId: c.req.valid('param').id,
    });
    return c.json(toWitnessDto(w), 200);
  });

  app.openapi(publicKeyRoute, async (c) => {
    const { witness, version, pem } = await getWitnessPublicKey(c.get('services'), {
      accountId: c.get('caller').accountId,
      witnessId: c.req.valid('param').id,
      version: c.req.valid('query').version,
    });
    const type = /text\/plain/.test(c.req.header('accept') ?? '')
      ? 'text/plain; charset=utf-8'
      : 'application/x-pem-file';
    return c.body(pem, 200, {
      'content-type': type,
      'content-disposition': `inline; filename="witness-${witness.name.replace(/[^A-Za-z0-9._-]/g, '_')}-v${version}.pem"`,
    });
  });

  app.openapi(rotateRoute, async (c) => {
    const w = await rotateWitnessKey(c.get('services'), auditActor(c), {
      witnessId: c.req.valid('param').id,
    });
    c.get('logger').info({ witnessId: w.id, currentVersion: w.currentVersion }, 'witness key rotated');
    return c.json(toWitnessDto(w), 200);
  });

  app.openapi(disableVersionRoute, async (c) => {
    const { id, version } = c.req.valid('param');
    const { witness, revocationWorkflowId } = await disableKeyVersion(c.get('services'), auditActor(c), {
      witnessId: id,
      version,
    });
    c.get('logger').info(
      { witnessId: witness.id, version, workflowId: revocationWorkflowId },
      'key version disabled',
    );
    return c.json({ ...toWitnessDto(witness), revocationWorkflowId }, 200);
  });

  app.openapi(disableWitnessRoute, async (c) => {
    const { witness, revocationWorkflowId } = await disableWitness(c.get('services'), auditActor(c), {
      witnessId: c.req.valid('param').id,
    });
    c.get('logger').info({ witnessId: witness.id, workflowId: revocationWorkflowId }, 'witness disabled');
    return c.json({ ...toWitnessDto(witness), revocationWorkflowId }, 200);
  });
}
