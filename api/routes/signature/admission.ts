import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { AdmissionCluster } from '../../../services/signature/admission-engine.js';
import { authenticateCluster } from '../../../services/signature/authenticate-cluster.js';
import { reviewAdmission } from '../../../services/signature/review-admission.js';
import {
  admissionResponse,
  rateLimitedResponse,
  ZAdmissionReviewSchema,
} from '../../../domain/signature/admission-review.js';
import { ADMISSION_PATH } from '../../../domain/signature/webhook-config.js';
import type { AppEnv, Services } from '../../context.js';
import { TokenBuckets } from '../../token-buckets.js';
import { VigilError } from '../../../domain/errors.js';
import { lazyChildLogger } from '../../middleware/request-context.js';
import { defineRoute, json, jsonBody } from '../../router.js';

const clusters = new WeakMap<Request, AdmissionCluster>();

/** Reviews per cluster, per second (VIGIL_ADMISSION_REVIEWS_PER_SECOND), one set of buckets per app. */
const reviewBuckets = new WeakMap<Services, TokenBuckets>();
function reviewBucketsFor(services: Services): TokenBuckets {
  let buckets = reviewBuckets.get(services);
  if (!buckets) {
    buckets = new TokenBuckets(services.config.VIGIL_ADMISSION_REVIEWS_PER_SECOND, 1000);
    reviewBuckets.set(services, buckets);
  }
  return buckets;
}

/**
 * Cluster-token authentication (never API keys): the token as the last path segment (what a webhook URL can
 * carry) or as `Authorization: Bearer` (a kube-apiserver admission kubeconfig).
 */
function clusterAuth(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const fromPath = c.req.param('token');
    const fromHeader = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    const token = fromPath ?? fromHeader;
    if (!token) {
      throw new VigilError(
        'unauthorized',
        `send the cluster token as ${ADMISSION_PATH}/<token> or "Authorization: Bearer <token>"`,
        undefined,
        {
          'WWW-Authenticate': 'Bearer',
        },
      );
    }
    const cluster = await authenticateCluster(c.get('services'), token);
    clusters.set(c.req.raw, cluster);
    c.set(
      'logger',
      lazyChildLogger(c.get('logger'), { accountId: cluster.accountId, clusterId: cluster.id }),
    );
    await next();
  };
}

const ZAdmissionResponseSchema = z
  .object({
    apiVersion: z.literal('admission.k8s.io/v1'),
    kind: z.literal('AdmissionReview'),
    response: z.object({
      uid: z.string(),
      allowed: z.boolean(),
      status: z.object({ code: z.number().int(), message: z.string(), reason: z.string().optional() }),
      warnings: z.array(z.string()).optional(),
      auditAnnotations: z.record(z.string(), z.string()),
    }),
  })
  .openapi('AdmissionReviewResponse');

export type TAdmissionReview = z.input<typeof ZAdmissionReviewSchema>;
export type TAdmissionReviewResponse = z.infer<typeof ZAdmissionResponseSchema>;

// With the token in the path, the Authorization header is optional (`{}` in security).
const PATH_TOKEN_SECURITY: Record<string, string[]>[] = [{ clusterToken: [] }, {}];

const route = (path: string, params?: z.ZodObject) =>
  defineRoute({
    method: 'post',
    path,
    auth: 'clusterToken',
    operationId: params ? 'validateAdmissionWithPathToken' : 'validateAdmission',
    ...(params ? { security: PATH_TOKEN_SECURITY } : {}),
    tags: ['admission'],
    summary: 'Kubernetes validating admission webhook (AdmissionReview admission.k8s.io/v1), cluster token',
    middleware: [clusterAuth()],
    request: { ...(params ? { params } : {}), body: jsonBody(ZAdmissionReviewSchema) },
    responses: { 200: json(ZAdmissionResponseSchema) },
  });

const bearerRoute = route(ADMISSION_PATH);
const pathTokenRoute = route(`${ADMISSION_PATH}/{token}`, z.object({ token: z.string().min(8).max(200) }));

export function registerAdmissionRoutes(app: OpenAPIHono<AppEnv>): void {
  const handler = async (
    c: Parameters<MiddlewareHandler<AppEnv>>[0],
    review: z.infer<typeof ZAdmissionReviewSchema>,
  ) => {
    const cluster = clusters.get(c.req.raw);
    if (!cluster) throw new VigilError('unauthorized', 'the cluster token is unknown or was replaced');
    const services = c.get('services');
    if (!reviewBucketsFor(services).take(cluster.id).ok) {
      return rateLimitedResponse(review.request.uid, services.config.VIGIL_ADMISSION_REVIEWS_PER_SECOND);
    }
    const decision = await reviewAdmission(services, cluster, review.request);
    return admissionResponse(review.request.uid, decision);
  };
  app.openapi(bearerRoute, async (c) => c.json(await handler(c, c.req.valid('json')), 200));
  app.openapi(pathTokenRoute, async (c) => c.json(await handler(c, c.req.valid('json')), 200));
}
