import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../context.js';
import { registerAccountRoutes } from './account.js';
import { registerAccountOverviewRoutes } from './account-overview.js';
import { registerAgentEnrollmentTokenRoutes } from './agent-enrollment-tokens.js';
import { registerAgentProtocolRoutes } from './agent-protocol.js';
import { registerAssetRoutes } from './assets.js';
import { registerAssetScanRoutes } from './asset-scans.js';
import { registerDocsRoutes } from './docs.js';
import { registerFindingRoutes } from './findings.js';
import { registerHealthRoutes } from './health.js';
import { registerMemberSettingsRoutes } from './member-settings.js';
import { registerMultiAccountRoutes } from './multi-account.js';
import { registerNotificationChannelRoutes } from './notification-channels.js';
import { registerPlaybookRoutes } from './playbook.js';
import { registerResourceDirectoryRoutes } from './resource-directory.js';
import { registerContainerSignatureRoutes } from './signature/index.js';
import { registerEmailRecipientRoutes } from './email-recipients.js';
import { registerReportDeliveryRoutes } from './report-deliveries.js';
import { registerReportRoutes } from './reports.js';

/** Every resource module registers itself here; features add one line each. */
export function registerRoutes(app: OpenAPIHono<AppEnv>): void {
  registerHealthRoutes(app);
  registerAccountRoutes(app);
  registerAccountOverviewRoutes(app);
  registerAssetRoutes(app);
  registerAssetScanRoutes(app);
  registerFindingRoutes(app);
  registerNotificationChannelRoutes(app);
  registerAgentEnrollmentTokenRoutes(app);
  registerAgentProtocolRoutes(app);
  registerContainerSignatureRoutes(app);
  registerPlaybookRoutes(app);
  registerResourceDirectoryRoutes(app);
  registerMultiAccountRoutes(app);
  registerMemberSettingsRoutes(app);
  registerReportRoutes(app);
  registerReportDeliveryRoutes(app);
  registerEmailRecipientRoutes(app);
  registerDocsRoutes(app);
}
