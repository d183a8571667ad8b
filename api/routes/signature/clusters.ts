import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { getCluster, listClusters, type ClusterRow } from '../../../services/signature/cluster-views.js';
import { registerCluster } from '../../../services/signature/register-cluster.js';
import { rotateClusterToken } from '../../../services/signature/rotate-cluster-token.js';
import {
  buildWebhookConfiguration,
  CLUSTER_TOKEN_PLACEHOLDER,
  webhookConfigYaml,
  WEBHOOK_FAILURE_POLICIES,
} from '../../../domain/signature/webhook-config.js';
import { auditActor } from '../../audit-context.js';
import type { AppEnv, Services } from '../../context.js';
import { accountPage } from '../../pagination.js';
import { resourceRoutes } from '../../route-shapes.js';
import { defineRoute, json, jsonBody, ZIdParamSchema } from '../../router.js';
import { iso } from './shared.js';
import { displayName } from '../../../domain/input-rules.js';

const ZClusterSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string(),
    failurePolicy: z.enum(WEBHOOK_FAILURE_POLICIES),
    tokenPrefix: z.string().openapi({ description: 'First characters of the token, to tell tokens apart' }),
    lastSeenAt: z.iso.datetime().nullable(),
    createdAt: z.iso.datetime(),
  })
  .openapi('Cluster');

const ZWebhookConfigSchema = z
  .record(z.string(), z.unknown())
  .openapi({ description: 'admissionregistration.k8s.io/v1 ValidatingWebhookConfiguration' });

const ZClusterWithTokenSchema = ZClusterSchema.extend({
  token: z.string().openapi({ description: 'Shown once; stored hashed' }),
  webhookConfig: ZWebhookConfigSchema.openapi({
    description: 'ValidatingWebhookConfiguration with the token in its URL',
  }),
});

const toClusterDto = (c: ClusterRow): z.infer<typeof ZClusterSchema> => ({
  id: c.id,
  name: c.name,
  description: c.description,
  failurePolicy: c.failurePolicy,
  tokenPrefix: c.tokenPrefix,
  lastSeenAt: iso(c.lastSeenAt),
  createdAt: c.createdAt.toISOString(),
});

const webhookFor = (services: Services, c: ClusterRow, token: string) =>
  buildWebhookConfiguration({
    publicUrl: services.publicUrl,
    clusterId: c.id,
    clusterName: c.name,
    token,
    failurePolicy: c.failurePolicy,
  });

const tags = ['signature'];

const ZRegisterClusterBodySchema = z.strictObject({
  name: displayName(100),
  description: z.string().max(1000).default(''),
  failurePolicy: z.enum(WEBHOOK_FAILURE_POLICIES).default('Fail'),
});

export type TCluster = z.infer<typeof ZClusterSchema>;
export type TClusterWithToken = z.infer<typeof ZClusterWithTokenSchema>;
export type TRegisterClusterBody = z.input<typeof ZRegisterClusterBodySchema>;

const createRoute = defineRoute({
  method: 'post',
  path: '/v1/clusters',
  role: 'admin',
  tags,
  summary:
    'Register a Kubernetes cluster; the response carries its admission token (shown once) and webhook config',
  request: { body: jsonBody(ZRegisterClusterBodySchema) },
  responses: { 201: json(ZClusterWithTokenSchema, 'Created') },
});

const rotateRoute = defineRoute({
  method: 'post',
  path: '/v1/clusters/{id}/token',
  operationId: 'rotateClusterToken',
  role: 'admin',
  tags,
  summary: 'Issue a new admission token (the old one stops working); shown once',
  request: { params: ZIdParamSchema },
  responses: { 200: json(ZClusterWithTokenSchema) },
});

const clusters = resourceRoutes('/v1/clusters', tags, ZClusterSchema);
const listRoute = clusters.list('List clusters');

const getRoute = clusters.get('One cluster');

const webhookRoute = defineRoute({
  method: 'get',
  path: '/v1/clusters/{id}/webhook-config',
  tags,
  summary: `Ready-to-apply ValidatingWebhookConfiguration (YAML by default, ?format=json); put the cluster token where it says ${CLUSTER_TOKEN_PLACEHOLDER}`,
  request: { params: ZIdParamSchema, query: z.object({ format: z.enum(['yaml', 'json']).default('yaml') }) },
  responses: {
    200: {
      description: 'admissionregistration.k8s.io/v1 ValidatingWebhookConfiguration',
      // Both media types carry the same object; the YAML one is not "a string" to a client that parses it.
      content: {
        'application/yaml': { schema: ZWebhookConfigSchema },
        'application/json': { schema: ZWebhookConfigSchema },
      },
    },
  },
});

export function registerClusterRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(createRoute, async (c) => {
    const services = c.get('services');
    const { cluster, token } = await registerCluster(services.db, auditActor(c), c.req.valid('json'));
    return c.json(
      { ...toClusterDto(cluster), token, webhookConfig: webhookFor(services, cluster, token) },
      201,
    );
  });

  app.openapi(rotateRoute, async (c) => {
    const services = c.get('services');
    const { cluster, token } = await rotateClusterToken(services.db, auditActor(c), {
      clusterId: c.req.valid('param').id,
    });
    return c.json(
      { ...toClusterDto(cluster), token, webhookConfig: webhookFor(services, cluster, token) },
      200,
    );
  });

  app.openapi(listRoute, async (c) => {
    return c.json(await accountPage(c, c.req.valid('query'), listClusters, toClusterDto), 200);
  });

  app.openapi(getRoute, async (c) => {
    const row = await getCluster(c.get('services').db, {
      accountId: c.get('caller').accountId,
      clusterId: c.req.valid('param').id,
    });
    return c.json(toClusterDto(row), 200);
  });

  app.openapi(webhookRoute, async (c) => {
    const services = c.get('services');
    const row = await getCluster(services.db, {
      accountId: c.get('caller').accountId,
      clusterId: c.req.valid('param').id,
    });
    const config = webhookFor(services, row, CLUSTER_TOKEN_PLACEHOLDER);
    if (c.req.valid('query').format === 'json') return c.json(config, 200);
    const header = [
      `Vigil image-signature webhook for cluster "${row.name}" (${row.id}).`,
      `Replace ${CLUSTER_TOKEN_PLACEHOLDER} in the URL with the cluster token (POST /v1/clusters/${row.id}/token issues a new one).`,
      'Kubernetes requires an https URL; add clientConfig.caBundle if the certificate is not publicly trusted.',
    ];
    return c.body(webhookConfigYaml(config, header), 200, {
      'content-type': 'application/yaml; charset=utf-8',
    });
  });
}
