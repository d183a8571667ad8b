import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportDeliveries, reportRuns } from '../../db/schema/reports.js';
import {
  body,
  createTestContext,
  type ErrorEnvelope,
  type Page,
  type TestAccount,
  type TestContext,
} from '../../test/harness.js';
import type { TReportDelivery } from './report-deliveries.js';

/**
 * The contract of Send Now, export and the delivery ledger: another account's report and delivery do not exist
 * (404, nothing sent), a delivery is reached only through its own report, and the 422 rules send nothing.
 */
let ctx: TestContext;
let mine: TestAccount;
let theirs: TestAccount;

async function call<T>(key: string, method: string, path: string, expected: number, b?: unknown): Promise<T> {
  const res = await ctx.request(method, path, { key, body: b });
  const text = await res.text();
  expect(res.status, `${method} ${path}: ${text.slice(0, 300)}`).toBe(expected);
  return (text === '' || !res.headers.get('content-type')?.includes('json') ? text : JSON.parse(text)) as T;
}
const customReport = (acct: TestAccount, name: string) =>
  call<{ id: string }>(acct.apiKey, 'POST', '/v1/reports', 201, {
    name,
    type: 'custom',
    timeZone: 'UTC',
    sendWindow: { start: '08:00', end: '10:00' },
    language: 'en',
    items: ['alerts'],
    period: { start: new Date(Date.now() - 7 * 86_400_000).toISOString(), end: new Date().toISOString() },
  }).then((r) => r.id);

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
  const [run] = await ctx.database.db
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
  const [delivery] = await ctx.database.db
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
  (await ctx.database.db.select().from(reportRuns).where(eq(reportRuns.accountId, acct.accountId))).length;

beforeAll(async () => {
  ctx = await createTestContext();
  [mine, theirs] = await Promise.all([ctx.createAccount('deliveries'), ctx.createAccount('other')]);
});
afterAll(() => ctx?.close());

describe('report deliveries contract', () => {
  it("answers 404 for another account's report and delivery, and reaches a delivery only through its report", async () => {
    const theirReport = await customReport(theirs, 'theirs');
    const theirDelivery = await delivered(theirs, theirReport);
    const myReport = await customReport(mine, 'mine');
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
      const e = await call<ErrorEnvelope>(mine.apiKey, method, path, 404);
      expect(e.error.code, `${method} ${path}`).toBe('not_found');
    }
    expect(await runsOf(mine)).toBe(0);
    expect(await runsOf(theirs)).toBe(1);
    const page = await call<Page<TReportDelivery>>(theirs.apiKey, 'GET', `${r}/deliveries`, 200);
    expect(page.items.map((d) => [d.id, d.status, d.email])).toEqual([
      [theirDelivery, 'sent', 'ops@example.com'],
    ]);
    expect(
      (await call<Page<TReportDelivery>>(mine.apiKey, 'GET', `/v1/reports/${myReport}/deliveries`, 200))
        .items,
    ).toEqual([]);
  });

  it('refuses Send Now for a scheduled report or one without a verified recipient, and sends nothing', async () => {
    const reports = await body<Page<{ id: string; isDefault: boolean }>>(
      await ctx.request('GET', '/v1/reports', { key: mine.apiKey }),
    );
    const daily = reports.items.find((x) => x.isDefault);
    expect(daily).toBeDefined();
    const noRecipient = await customReport(mine, 'nobody');
    for (const id of [daily?.id ?? '', noRecipient]) {
      const e = await call<ErrorEnvelope>(mine.apiKey, 'POST', `/v1/reports/${id}/send`, 422);
      expect(e.error.code).toBe('unprocessable');
      expect(
        (await call<Page<TReportDelivery>>(mine.apiKey, 'GET', `/v1/reports/${id}/deliveries`, 200)).items,
      ).toEqual([]);
    }
    expect(await runsOf(mine)).toBe(0);
  });

  it('refuses the CSV of an item the delivered report does not include with 422', async () => {
    const report = await customReport(theirs, 'items');
    const delivery = await delivered(theirs, report);
    const e = await call<ErrorEnvelope>(
      theirs.apiKey,
      'GET',
      `/v1/reports/${report}/deliveries/${delivery}/csv/attack`,
      422,
    );
    expect(e.error.message).toContain('does not include attack');
    // The same account's delivery is reached only through its own report.
    const sibling = await customReport(theirs, 'sibling');
    for (const path of ['html', 'csv/alerts']) {
      const wrong = await call<ErrorEnvelope>(
        theirs.apiKey,
        'GET',
        `/v1/reports/${sibling}/deliveries/${delivery}/${path}`,
        404,
      );
      expect(wrong.error.code).toBe('not_found');
    }
    expect(
      (
        await ctx.request('GET', `/v1/reports/${report}/deliveries/${delivery}/csv/nope`, {
          key: theirs.apiKey,
        })
      ).status,
    ).toBe(400);
  });
});
