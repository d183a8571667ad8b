import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { createPolicy } from '../../../services/signature/create-policy.js';
import { deletePolicy } from '../../../services/signature/delete-policy.js';
import { getPolicy, listPolicies, type PolicyRow } from '../../../services/signature/policy-views.js';
import { updatePolicy } from '../../../services/signature/update-policy.js';
import {
  BREAK_GLASS_ANNOTATION,
  IMAGE_GLOB_PATTERN,
  MAX_COSIGNERS,
  MAX_IMAGE_PATTERNS,
} from '../../../domain/signature/image-scope.js';
import { REGISTRY_FAILURE_MODES, TAG_POLICIES } from '../../../domain/signature/registry-rules.js';
import { ALL_NAMESPACES, POLICY_ENABLED_BY_DEFAULT, POLICY_MODES } from '../../../domain/signature/rules.js';
import { auditActor } from '../../audit-context.js';
import type { AppEnv } from '../../context.js';
import { accountPage, ZPageQuerySchema } from '../../pagination.js';
import { resourceRoutes } from '../../route-shapes.js';
import { displayName } from '../../../domain/input-rules.js';

/** A Kubernetes namespace name (RFC 1123 label) or `*` for every namespace of the cluster. */
const ZNamespaceSchema = z
  .string()
  .regex(
    /^(?:\*|[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?)$/,
    `a namespace name (RFC 1123 label) or "${ALL_NAMESPACES}"`,
  );

const ZImageGlobSchema = z
  .string()
  .regex(IMAGE_GLOB_PATTERN, 'an image name glob: lowercase registry/repository with *, ** and ?')
  .openapi({ example: 'ghcr.io/acme/**' });

const ZPolicySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    witnessId: z.uuid(),
    clusterId: z.uuid(),
    namespaces: z.array(z.string()),
    enabled: z.boolean(),
    mode: z.enum(POLICY_MODES),
    description: z.string(),
    registryFailure: z.enum(REGISTRY_FAILURE_MODES).openapi({
      description: 'When the image registry cannot be asked (outage, timeout): deny, or admit with a warning',
    }),
    images: z.array(z.string()).openapi({
      description:
        'Image name globs the policy checks (registry/repository; * within a segment, ** across); empty: all',
    }),
    excludedImages: z.array(z.string()).openapi({ description: 'Image name globs the policy never checks' }),
    cosignerIds: z.array(z.uuid()).openapi({ description: 'More witnesses besides witnessId (N of M)' }),
    requiredSignatures: z.number().int().openapi({
      description: 'How many witnesses of the set (witnessId and cosignerIds) must have signed each image',
    }),
    allowBreakGlass: z.boolean().openapi({
      description: `Whether the ${BREAK_GLASS_ANNOTATION} annotation (a justification) admits a Pod this policy denies; always audited`,
    }),
    tagPolicy: z.enum(TAG_POLICIES).openapi({
      description:
        'Tagged images: resolve to the digest through the registry and verify that, or refuse (digests only)',
    }),
    version: z.number().int(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi('SecurityPolicy');

const toPolicyDto = (p: PolicyRow): z.infer<typeof ZPolicySchema> => ({
  id: p.id,
  name: p.name,
  witnessId: p.witnessId,
  clusterId: p.clusterId,
  namespaces: p.namespaces,
  enabled: p.enabled,
  mode: p.mode,
  description: p.description,
  registryFailure: p.registryFailure,
  tagPolicy: p.tagPolicy,
  images: p.images,
  excludedImages: p.excludedImages,
  allowBreakGlass: p.allowBreakGlass,
  cosignerIds: p.cosignerIds,
  requiredSignatures: p.requiredSignatures,
  version: p.version,
  createdAt: p.createdAt.toISOString(),
  updatedAt: p.updatedAt.toISOString(),
});

const fields = {
  name: displayName(100),
  witnessId: z.uuid(),
  clusterId: z.uuid(),
  namespaces: z.array(ZNamespaceSchema).min(1).max(200),
  enabled: z.boolean(),
  mode: z.enum(POLICY_MODES),
  description: z.string().max(1000),
  registryFailure: z.enum(REGISTRY_FAILURE_MODES),
  tagPolicy: z.enum(TAG_POLICIES),
  images: z.array(ZImageGlobSchema).max(MAX_IMAGE_PATTERNS),
  excludedImages: z.array(ZImageGlobSchema).max(MAX_IMAGE_PATTERNS),
  allowBreakGlass: z.boolean(),
  cosignerIds: z.array(z.uuid()).max(MAX_COSIGNERS),
  requiredSignatures: z
    .number()
    .int()
    .min(1)
    .max(MAX_COSIGNERS + 1),
};

const tags = ['signature'];

const ZCreatePolicyBodySchema = z.strictObject({
  ...fields,
  enabled: fields.enabled.default(POLICY_ENABLED_BY_DEFAULT),
  mode: fields.mode.default('enforce'),
  description: fields.description.default(''),
  registryFailure: fields.registryFailure.default('deny'),
  tagPolicy: fields.tagPolicy.default('resolve'),
  images: fields.images.default([]),
  excludedImages: fields.excludedImages.default([]),
  allowBreakGlass: fields.allowBreakGlass.default(true),
  cosignerIds: fields.cosignerIds.default([]),
  requiredSignatures: fields.requiredSignatures.default(1),
});

const ZUpdatePolicyBodySchema = z
  .strictObject({
    name: fields.name.optional(),
    witnessId: fields.witnessId.optional(),
    clusterId: fields.clusterId.optional(),
    namespaces: fields.namespaces.optional(),
    enabled: fields.enabled.optional(),
    mode: fields.mode.optional(),
    description: fields.description.optional(),
    registryFailure: fields.registryFailure.optional(),
    tagPolicy: fields.tagPolicy.optional(),
    images: fields.images.optional(),
    excludedImages: fields.excludedImages.optional(),
    allowBreakGlass: fields.allowBreakGlass.optional(),
    cosignerIds: fields.cosignerIds.optional(),
    requiredSignatures: fields.requiredSignatures.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'change at least one field');

const ZPolicyQuerySchema = ZPageQuerySchema.extend({ clusterId: z.uuid().optional() });

export type TPolicy = z.infer<typeof ZPolicySchema>;
export type TCreatePolicyBody = z.input<typeof ZCreatePolicyBodySchema>;
export type TUpdatePolicyBody = z.input<typeof ZUpdatePolicyBodySchema>;
export type TPolicyQuery = z.input<typeof ZPolicyQuerySchema>;

// Admin writes: a policy decides what a cluster admits.
const policies = resourceRoutes('/v1/signature/policies', tags, ZPolicySchema, { writeRole: 'admin' });
const createRoute = policies.create(
  'Create a security policy (witness + cluster + namespaces); off until enabled, as the product ships it',
  ZCreatePolicyBodySchema,
);
const listRoute = policies.list('List security policies', ZPolicyQuerySchema);
const getRoute = policies.get('One security policy');
const patchRoute = policies.patch(
  'Change a security policy (each change bumps its version)',
  ZUpdatePolicyBodySchema,
);
const deleteRoute = policies.delete('Delete a security policy');

export function registerPolicyRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(createRoute, async (c) => {
    const row = await createPolicy(c.get('services').db, auditActor(c), c.req.valid('json'));
    return c.json(toPolicyDto(row), 201);
  });

  app.openapi(listRoute, async (c) => {
    const q = c.req.valid('query');
    const body = await accountPage(
      c,
      q,
      (db, keyset) => listPolicies(db, { ...keyset, clusterId: q.clusterId }),
      toPolicyDto,
    );
    return c.json(body, 200);
  });

  app.openapi(getRoute, async (c) => {
    const row = await getPolicy(c.get('services').db, {
      accountId: c.get('caller').accountId,
      policyId: c.req.valid('param').id,
    });
    return c.json(toPolicyDto(row), 200);
  });

  app.openapi(patchRoute, async (c) => {
    const row = await updatePolicy(c.get('services').db, auditActor(c), {
      policyId: c.req.valid('param').id,
      patch: c.req.valid('json'),
    });
    return c.json(toPolicyDto(row), 200);
  });

  app.openapi(deleteRoute, async (c) => {
    await deletePolicy(c.get('services').db, auditActor(c), { policyId: c.req.valid('param').id });
    return c.body(null, 204);
  });
}
