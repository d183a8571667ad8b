import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { reportDeliveries, reportRuns } from '../../db/schema/reports.js';
import { contractSuite } from '../../test/contract.js';
import { body, type ErrorEnvelope, type Page, type TestAccount } from '../../test/harness.js';
import type { TReportDelivery } from './report-deliveries.js';

/**
 * The contract of Send Now, export and the delivery ledger: another account's report and delivery do not exist
 * (404, nothing sent), a delivery is reached only through its own report, and the 422 rules send nothing.
 */
const s = contractSuite({ mine: 'deliveries', theirs: 'other' });

const customReport = (acct: TestAccount, name: string) =>
  s
    .call<{ id: string }>(acct.apiKey, 'POST', '/v1/reports', 201, {
      name,
      type: 'custom',
      timeZone: 'UTC',
      sendWindow: { start: '08:00', end: '10:00' },
      language: 'en',
      items: ['alerts'],
      period: { start: new Date(Date.now() - 7 * 86_400_000).toISOString(), end: new Date().toISOString() },
    })
    .then((r) => r.id);

/** A delivered run of `reportId` as the ledger records it (the mail itself is other tests' business). */
async function delivered(acct: TestAccount, reportId: string): Promise<string> {
  const period = {
    key: 'p1',
    start: '2026-01-01T00:00:00Z',
    end: '2026-01-08T00:00:00Z',
    previousStart: '2025-12-25T00:00:00Z',
    previousEnd: '2026-01-01T00:00:00Z',
    label: '2026-01-01 – 2026-01-07',
    timeZone: 'UTC',
  };
  const [run] = await s.ctx.database.db
    .insert(reportRuns)
    .values({
      accountId: acct.accountId,
      reportId,
      periodKey: period.key,
      period,
      trigger: 'sendNow',
      workflowId: `contract-${reportId}`,
      subject: 'Security report',
      html: '<p>report</p>',
      text: 'report',
      images: [],
      stats: { items: ['alerts'] },
    })
    .returning({ id: reportRuns.id });
  const [delivery] = await s.ctx.database.db
    .insert(reportDeliveries)
    .values({
      accountId: acct.accountId,
      reportId,
      runId: run?.id ?? '',
      periodKey: period.key,
      recipientId: reportId,
      email: 'ops@example.com',
      status: 'sent',
      claimedBy: 'contract',
      messageId: '<contract@example.com>',
      sentAt: new Date(),
    })
    .returning({ id: reportDeliveries.id });
  return delivery?.id ?? '';
}
const runsOf = async (acct: TestAccount) =>
  (await s.ctx.database.db.select().from(reportRuns).where(eq(reportRuns.accountId, acct.accountId))).length;

describe('report deliveries contract', () => {
  it("answers 404 for another account's report and delivery, and reaches a delivery only through its report", async () => {
    const theirReport = await customReport(s.theirs, 'theirs');
    const theirDelivery = await delivered(s.theirs, theirReport);
    const myReport = await customReport(s.mine, 'mine');
    const r = `/v1/reports/${theirReport}`;
    for (const [method, path] of [
      ['POST', `${r}/send`],
      ['GET', `${r}/export`],
      ['GET', `${r}/deliveries`],
      ['GET', `${r}/deliveries/${theirDelivery}/html`],
      ['GET', `${r}/deliveries/${theirDelivery}/csv/alerts`],
      ['GET', `/v1/reports/${myReport}/deliveries/${theirDelivery}/html`],
      ['GET', `/v1/reports/${myReport}/deliveries/${theirDelivery}/csv/alerts`],
    ] as const) {
      const e = await s.call<ErrorEnvelope>(s.mine.apiKey, method, path, 404);
      expect(e.error.code, `${method} ${path}`).toBe('not_found');
    }
    expect(await runsOf(s.mine)).toBe(0);
    expect(await runsOf(s.theirs)).toBe(1);
    const page = await s.call<Page<TReportDelivery>>(s.theirs.apiKey, 'GET', `${r}/deliveries`, 200);
    expect(page.items.map((d) => [d.id, d.status, d.email])).toEqual([
      [theirDelivery, 'sent', 'ops@example.com'],
    ]);
    expect(
      (await s.call<Page<TReportDelivery>>(s.mine.apiKey, 'GET', `/v1/reports/${myReport}/deliveries`, 200))
        .items,
    ).toEqual([]);
  });

  it('refuses Send Now for a scheduled report or one without a verified recipient, and sends nothing', async () => {
    const reports = await body<Page<{ id: string; isDefault: boolean }>>(
      await s.ctx.request('GET', '/v1/reports', { key: s.mine.apiKey }),
    );
    const daily = reports.items.find((x) => x.isDefault);
    expect(daily).toBeDefined();
    const noRecipient = await customReport(s.mine, 'nobody');
    for (const id of [daily?.id ?? '', noRecipient]) {
      const e = await s.call<ErrorEnvelope>(s.mine.apiKey, 'POST', `/v1/reports/${id}/send`, 422);
      expect(e.error.code).toBe('unprocessable');
      expect(
        (await s.call<Page<TReportDelivery>>(s.mine.apiKey, 'GET', `/v1/reports/${id}/deliveries`, 200))
          .items,
      ).toEqual([]);
    }
    expect(await runsOf(s.mine)).toBe(0);
  });

  it('refuses the CSV of an item the delivered report does not include with 422', async () => {
    const report = await customReport(s.theirs, 'items');
    const delivery = await delivered(s.theirs, report);
    const e = await s.call<ErrorEnvelope>(
      s.theirs.apiKey,
      'GET',
      `/v1/reports/${report}/deliveries/${delivery}/csv/attack`,
      422,
    );
    expect(e.error.message).toContain('does not include attack');
    // The same account's delivery is reached only through its own report.
    const sibling = await customReport(s.theirs, 'sibling');
    for (const path of ['html', 'csv/alerts']) {
      const wrong = await s.call<ErrorEnvelope>(
        s.theirs.apiKey,
        'GET',
        `/v1/reports/${sibling}/deliveries/${delivery}/${path}`,
        404,
      );
      expect(wrong.error.code).toBe('not_found');
    }
    expect(
      (
        await s.ctx.request('GET', `/v1/reports/${report}/deliveries/${delivery}/csv/nope`, {
          key: s.theirs.apiKey,
        })
      ).status,
    ).toBe(400);
  });
});
