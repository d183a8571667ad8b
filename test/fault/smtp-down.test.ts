import { afterAll, describe, expect, inject, it, vi } from 'vitest';
import { findFreePort } from '../../platform/dev-server.js';
import type { TReportDeliveryResult } from '../../workflows/reports.js';
import { createScratchPostgres, testDriver } from '../database.js';
import { startTestSmtpServer } from '../smtp.js';
import { startDeployment } from './deployment.js';
import { cleanUp, cleanUpLater, until } from './processes.js';
import { temporalClient } from './world.js';

vi.setConfig({ testTimeout: 240_000 });

const driver = testDriver();
const adminUrl = process.env.TEST_DATABASE_URL;
const RECIPIENT = 'soc@example.com';

afterAll(cleanUp);

describe.runIf(driver === 'pglite' || adminUrl !== undefined)(
  `fault: the SMTP server is down during a report delivery (${driver === 'pglite' ? 'npm start on PGlite' : 'npm run api + worker on Postgres'})`,
  () => {
    it('delivers the report exactly once when the server returns', async () => {
      const t0 = Date.now();
      const smtpPort = await findFreePort();
      let smtp = await startTestSmtpServer({ port: smtpPort });
      cleanUpLater(() => smtp.close());
      const postgres =
        driver === 'postgres' ? await createScratchPostgres(adminUrl ?? '', 'vigil_sf') : undefined;
      if (postgres) cleanUpLater(() => postgres.handle.close());
      const temporalAddress = inject('temporalAddress');
      const d = await startDeployment({ temporalAddress, postgres, env: { SMTP_URL: smtp.url } });
      cleanUpLater(() => d.stop());
      const call = async (method: string, path: string, body?: unknown) => {
        const res = await fetch(`${d.url}${path}`, {
          method,
          headers: { authorization: `Bearer ${d.apiKey}`, 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };

      // A verified recipient, through the double opt-in mail while the server is up.
      expect((await call('POST', '/v1/email-recipients', { email: RECIPIENT })).status).toBe(201);
      const [verification] = await smtp.waitFor(1, 60_000);
      const link = /https?:\/\/\S+\/public\/v1\/email-recipients\/verify\?token=[\w.-]+/.exec(
        verification?.parsed.text ?? '',
      )?.[0];
      expect(link).toBeTruthy();
      const verify = new URL(link ?? '');
      expect((await fetch(`${d.url}${verify.pathname}${verify.search}`)).status).toBe(200);
      const report = await call('POST', '/v1/reports', {
        name: 'Outage review',
        type: 'custom',
        timeZone: 'UTC',
        sendWindow: { start: '08:00', end: '10:00' },
        period: { start: new Date(Date.now() - 86_400_000).toISOString(), end: new Date().toISOString() },
        language: 'en',
        items: ['vulnerabilities', 'alerts'],
        recipients: [RECIPIENT],
      });
      expect(report.status).toBe(201);
      const ready = Date.now();

      // The server goes away; Send Now starts the delivery, whose mail activity fails and is retried.
      await smtp.close();
      const downAt = Date.now();
      const sent = await call('POST', `/v1/reports/${String(report.body.id)}/send`);
      expect(sent.status).toBe(202);
      const { client, close } = await temporalClient(temporalAddress);
      try {
        const handle = client.workflow.getHandle(String(sent.body.workflowId));
        await until(
          async () => {
            const pending = (await handle.describe()).raw.pendingActivities ?? [];
            return pending.some(
              (a) => (a.attempt ?? 0) >= 2 && /refused|ECONNREFUSED/i.test(a.lastFailure?.message ?? ''),
            );
          },
          90_000,
          () => 'the mail activity did not fail against the stopped server',
        );
        smtp = await startTestSmtpServer({ port: smtpPort });
        const backAt = Date.now();

        const result = (await handle.result()) as TReportDeliveryResult;
        expect(result).toMatchObject({ status: 'delivered', sent: 1, alreadySent: 0 });
        const mails = smtp.mails.filter((m) => m.envelopeTo.includes(RECIPIENT));
        expect(mails.map((m) => m.parsed.subject)).toEqual([expect.stringContaining('Outage review')]);
        const deliveries = await call('GET', `/v1/reports/${String(report.body.id)}/deliveries`);
        expect(deliveries.body.items).toEqual([
          expect.objectContaining({ status: 'sent', email: RECIPIENT }),
        ]);
        expect(await d.stop(), d.output()).toEqual(d.workers.map(() => 0).concat([0]));
        process.stdout.write(
          `smtp down (${d.mode}): ready ${((ready - t0) / 1000).toFixed(1)} s; SMTP down ${((backAt - downAt) / 1000).toFixed(1)} s; ` +
            `delivered ${((Date.now() - backAt) / 1000).toFixed(1)} s after it returned\n`,
        );
      } finally {
        await close();
      }
    });
  },
);
