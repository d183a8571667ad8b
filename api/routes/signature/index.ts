import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../../context.js';
import { registerAdmissionRoutes } from './admission.js';
import { registerClusterRoutes } from './clusters.js';
import { registerDecisionRoutes } from './decisions.js';
import { registerPolicyRoutes } from './policies.js';
import { registerRegistryCredentialRoutes } from './registry-credentials.js';
import { registerSignatureRoutes } from './signatures.js';
import { registerWitnessRoutes } from './witnesses.js';

/** Container signature: witnesses, signing, clusters, security policies, admission and its decisions, trusted images. */
export function registerContainerSignatureRoutes(app: OpenAPIHono<AppEnv>): void {
  registerWitnessRoutes(app);
  registerSignatureRoutes(app);
  registerClusterRoutes(app);
  registerPolicyRoutes(app);
  registerAdmissionRoutes(app);
  registerDecisionRoutes(app);
  registerRegistryCredentialRoutes(app);
}
