import { serve } from '@hono/node-server';
import { subscribeToAgentTokenChanges } from '../activities/agents/enrollment.js';
import { subscribeToJobNotifications } from '../activities/agents/job-notifier.js';
import { flushAdmissionDecisions } from '../activities/signing/admission.js';
import { bootProductionServices } from '../platform/production.js';
import { createApp } from './app.js';

/** `npm run api`: the HTTP API alone, against DATABASE_URL and TEMPORAL_ADDRESS (production). */
const { config, services, database, temporal } = await bootProductionServices('api');
// The worker is another process: its new agent jobs wake this process's long polls through Postgres NOTIFY.
// Token changes made through other processes reach this one's token cache the same way.
const unsubscribers = await Promise.all([
  subscribeToJobNotifications(database.listen),
  subscribeToAgentTokenChanges(database),
]);
const unsubscribe = () => Promise.all(unsubscribers.map((u) => u()));
const server = serve({ fetch: createApp(services).fetch, hostname: config.HOST, port: config.PORT }, (info) =>
  services.logger.info({ port: info.port }, 'API listening'),
);
if ('keepAliveTimeout' in server) server.keepAliveTimeout = 65_000;

const stop = () => {
  server.close(() => {
    // Queued admission decisions are written before the database closes.
    void Promise.all([unsubscribe(), flushAdmissionDecisions(services.db)])
      .then(() => Promise.all([database.close(), temporal.close()]))
      .then(() => process.exit(0));
  });
  setTimeout(() => process.exit(1), 10_000).unref();
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
