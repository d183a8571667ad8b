import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../context.js';
import { registerAccountRoutes } from './account.js';
import { registerAgentEnrollmentTokenRoutes } from './agent-enrollment-tokens.js';
import { registerAgentProtocolRoutes } from './agent-protocol.js';
import { registerAssetRoutes } from './assets.js';
import { registerDocsRoutes } from './docs.js';
import { registerFindingRoutes } from './findings.js';
import { registerHealthRoutes } from './health.js';
import { registerNotificationChannelRoutes } from './notification-channels.js';
import { registerPlaybookRoutes } from './playbook.js';
import { registerMemberSettingsRoutes } from './member-settings.js';
import { registerMultiAccountRoutes } from './multi-account.js';
import { registerResourceDirectoryRoutes } from './resource-directory.js';
import { registerContainerSignatureRoutes } from './signature/index.js';

/** Every resource module registers itself here; features add one line each. */
export function registerRoutes(app: OpenAPIHono<AppEnv>): void {
  registerHealthRoutes(app);
  registerAccountRoutes(app);
  registerAssetRoutes(app);
  registerFindingRoutes(app);
  registerNotificationChannelRoutes(app);
  registerPlaybookRoutes(app);
  registerAgentEnrollmentTokenRoutes(app);
  registerAgentProtocolRoutes(app);
  registerResourceDirectoryRoutes(app);
  registerMultiAccountRoutes(app);
  registerMemberSettingsRoutes(app);
  registerContainerSignatureRoutes(app);
  registerDocsRoutes(app);
}
