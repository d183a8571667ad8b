import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { createRegistryCredential } from '../../../services/signature/create-registry-credential.js';
import { deleteRegistryCredential } from '../../../services/signature/delete-registry-credential.js';
import {
  listRegistryCredentials,
  type RegistryCredentialRow,
} from '../../../services/signature/registry-credential-views.js';
import { parseImageReference } from '../../../domain/signature/image-reference.js';
import { auditActor } from '../../audit-context.js';
import type { AppEnv } from '../../context.js';
import { accountPage, pageOf, ZPageQuerySchema } from '../../pagination.js';
import { defineRoute, json, jsonBody, ZIdParamSchema } from '../../router.js';

/** A registry as image references name it; `docker.io` becomes `index.docker.io`, as go-containerregistry does. */
const ZRegistrySchema = z
  .string()
  .trim()
  .min(1)
  .max(255)
  .transform((v, ctx) => {
    const parsed = parseImageReference(`${v}/vigil/probe`);
    if (!parsed.ok || (!v.includes('.') && !v.includes(':') && v !== 'localhost')) {
      ctx.addIssue({
        code: 'custom',
        message: 'a registry host[:port], e.g. ghcr.io or registry.local:5000',
      });
      return z.NEVER;
    }
    return parsed.ref.registry;
  })
  .openapi({ example: 'registry.example.com:5000', type: 'string' });

const ZRegistryCredentialSchema = z
  .object({
    id: z.uuid(),
    registry: z.string(),
    username: z.string(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi('RegistryCredential');

const toDto = (r: RegistryCredentialRow): z.infer<typeof ZRegistryCredentialSchema> => ({
  id: r.id,
  registry: r.registry,
  username: r.username,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

const ZCreateRegistryCredentialBodySchema = z.strictObject({
  registry: ZRegistrySchema,
  username: z.string().min(1).max(255),
  password: z.string().min(1).max(4096),
});

export type TRegistryCredential = z.infer<typeof ZRegistryCredentialSchema>;
export type TCreateRegistryCredentialBody = z.input<typeof ZCreateRegistryCredentialBodySchema>;

const tags = ['signature'];
const path = '/v1/signature/registry-credentials';

const createRoute = defineRoute({
  method: 'post',
  path,
  tags,
  role: 'admin',
  summary:
    'Add the credential Vigil uses with one registry (Basic auth, or for the token service) to read and write cosign signatures; the password is stored encrypted and never returned',
  request: { body: jsonBody(ZCreateRegistryCredentialBodySchema) },
  responses: { 201: json(ZRegistryCredentialSchema, 'Created') },
});

const listRoute = defineRoute({
  method: 'get',
  path,
  tags,
  role: 'admin',
  summary: 'Registry credentials (without passwords)',
  request: { query: ZPageQuerySchema },
  responses: { 200: json(pageOf(ZRegistryCredentialSchema)) },
});

const deleteRoute = defineRoute({
  method: 'delete',
  path: `${path}/{id}`,
  tags,
  role: 'admin',
  summary: 'Delete a registry credential (Vigil then reads that registry anonymously)',
  request: { params: ZIdParamSchema },
  responses: { 204: { description: 'Deleted' } },
});

export function registerRegistryCredentialRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(createRoute, async (c) => {
    const services = c.get('services');
    const row = await createRegistryCredential(services, auditActor(c), c.req.valid('json'));
    c.get('logger').info({ credentialId: row.id, registry: row.registry }, 'registry credential added');
    return c.json(toDto(row), 201);
  });

  app.openapi(listRoute, async (c) => {
    return c.json(await accountPage(c, c.req.valid('query'), listRegistryCredentials, toDto), 200);
  });

  app.openapi(deleteRoute, async (c) => {
    await deleteRegistryCredential(c.get('services').db, auditActor(c), {
      credentialId: c.req.valid('param').id,
    });
    return c.body(null, 204);
  });
}
