import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { auditLog } from '../../../db/schema/audit.js';
import { notificationDeliveries } from '../../../db/schema/notifications.js';
import { BREAK_GLASS_ANNOTATION } from '../../../domain/signature/image-scope.js';
import { breakGlassWorkflowId } from '../../../domain/signature/rules.js';
import { ZAdmissionReviewSchema } from '../../../domain/signature/admission-review.js';
import {
  AdmissionEngine,
  admissionEngineFor,
  GENERATION_CHECK_MS,
} from '../../../services/signature/admission-engine.js';
import { DECISION_QUEUE_POSTGRES } from '../../../services/signature/decision-queue.js';
import { startBreakGlassNotifications } from '../../../services/signature/start-break-glass-notifications.js';
import { startDingTalkFake, type DingTalkFake } from '../../../test/dingtalk-fake.js';
import { createTestContext, type TestAccount, type TestContext } from '../../../test/harness.js';
import { podReview } from '../../../test/admission-review.js';
import type { TAdmissionReviewResponse } from './admission.js';
import type { TClusterWithToken } from './clusters.js';
import type { TWitness } from './witnesses.js';

const SECRET = 'SECb7e4a3d6f8e0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4';
const DIGEST = `sha256:${'e'.repeat(64)}`;

let ctx: TestContext;
let fake: DingTalkFake;
let acct: TestAccount;
let cluster: TClusterWithToken;

async function call(method: string, path: string, body?: unknown) {
  const res = await ctx.request(method, path, { key: acct.apiKey, body });
  expect(res.status, path).toBeLessThan(300);
  return (await res.json()) as unknown;
}

function review(opts: { uid: string; podUid?: string; dryRun?: boolean; justification?: string }) {
  return podReview({
    uid: opts.uid,
    namespace: 'payments',
    name: 'checkout',
    podUid: opts.podUid,
    userInfo: { username: 'oncall@example.com' },
    dryRun: opts.dryRun,
    annotations: { [BREAK_GLASS_ANNOTATION]: opts.justification ?? 'INC-9 checkout down' },
    images: [`127.0.0.1:9/shop/checkout@${DIGEST}`],
  });
}

async function admit(body: unknown) {
  const res = await ctx.request('POST', `/admission/v1/validate/${cluster.token}`, { body });
  expect(res.status).toBe(200);
  return ((await res.json()) as TAdmissionReviewResponse).response;
}

/** Waits for the break-glass workflow of `key` to finish, so that a second message would have been sent by now. */
async function settled(key: string) {
  await admissionEngineFor(ctx.services).flushDecisions();
  await ctx.temporal.client.workflow.getHandle(breakGlassWorkflowId(cluster.id, key)).result();
}

beforeAll(async () => {
  fake = await startDingTalkFake({ secret: SECRET });
  ctx = await createTestContext({ workers: true, env: { VIGIL_WEBHOOK_ALLOWLIST: fake.host } });
  acct = await ctx.createAccount('break-glass');
  await call('POST', '/v1/notification-channels', {
    type: 'dingtalk',
    name: 'on-call',
    webhook: fake.url,
    secret: SECRET,
  });
  const witness = (await call('POST', '/v1/signature/witnesses', { name: 'release' })) as TWitness;
  cluster = (await call('POST', '/v1/clusters', { name: 'prod-eu' })) as TClusterWithToken;
  await call('POST', '/v1/signature/policies', {
    name: 'payments',
    witnessId: witness.id,
    clusterId: cluster.id,
    namespaces: ['payments'],
    enabled: true,
    allowBreakGlass: true,
  });
});
afterAll(async () => {
  await ctx?.close();
  await fake?.close();
});

describe('break-glass notification', () => {
  it('tells the notification channels once per Pod, however often the API server sends the review', async () => {
    const first = await admit(review({ uid: 'req-1', podUid: 'pod-1' }));
    expect(first).toMatchObject({ allowed: true, auditAnnotations: { decision: 'break-glass' } });
    // The API server retries the same review; a second replica answers it again.
    expect(await admit(review({ uid: 'req-1', podUid: 'pod-1' }))).toMatchObject({ allowed: true });
    expect(await admit(review({ uid: 'req-1b', podUid: 'pod-1' }))).toMatchObject({ allowed: true });
    const [message] = await fake.waitFor(1, 60_000);
    await settled('pod-1');
    expect(message?.title).toBe('Vigil: break-glass admitted Pod payments/checkout in cluster "prod-eu"');
    expect(message?.text).toContain('oncall@example.com');
    expect(message?.text).toContain('INC-9 checkout down');
    expect(message?.text).toMatch(/would have been denied: .*no signature by witness "release"/i);
    expect(fake.messages).toHaveLength(1);
    const deliveries = await ctx.services.db
      .select()
      .from(notificationDeliveries)
      .where(eq(notificationDeliveries.accountId, acct.accountId));
    expect(deliveries).toEqual([
      expect.objectContaining({ status: 'sent', dedupeKey: breakGlassWorkflowId(cluster.id, 'pod-1') }),
    ]);
    // Every admission is still audited on its own.
    const audits = await ctx.services.db
      .select()
      .from(auditLog)
      .where(
        and(eq(auditLog.accountId, acct.accountId), eq(auditLog.action, 'signature.admission.break_glass')),
      );
    expect(audits.length).toBe(3);
  });

  it('keys a Pod without a uid by the review uid, and notifies nothing for a dry run', async () => {
    expect(await admit(review({ uid: 'dry-1', dryRun: true }))).toMatchObject({ allowed: true });
    expect(await admit(review({ uid: 'req-2', justification: 'INC-10' }))).toMatchObject({ allowed: true });
    await fake.waitFor(2, 60_000);
    await settled('req-2');
    expect(fake.messages.map((m) => m.text).filter((t) => t.includes('INC-10'))).toHaveLength(1);
    await expect(
      ctx.temporal.client.workflow.getHandle(breakGlassWorkflowId(cluster.id, 'dry-1')).describe(),
    ).rejects.toThrow();
    expect(fake.messages).toHaveLength(2);
  });

  it('is sent after a crash between the audit row and the workflow start: the audit row is the outbox', async () => {
    const messagesBefore = fake.messages.length;
    // A replica that writes the audit row and dies before handing the event to Temporal: no start at all.
    const dying = new AdmissionEngine(
      ctx.services.db,
      () => undefined,
      GENERATION_CHECK_MS,
      DECISION_QUEUE_POSTGRES,
      null,
      null,
    );
    const request = ZAdmissionReviewSchema.parse(
      review({ uid: 'req-3', podUid: 'pod-3', justification: 'INC-11' }),
    ).request;
    const answer = await dying.review(
      { id: cluster.id, accountId: acct.accountId, name: 'prod-eu' },
      request,
    );
    expect(answer).toMatchObject({ allowed: true, outcome: 'breakGlass' });
    await dying.flushDecisions();
    const id = breakGlassWorkflowId(cluster.id, 'pod-3');
    await expect(ctx.temporal.client.workflow.getHandle(id).describe()).rejects.toThrow();

    // After the restart, the maintenance duty starts what the audit rows say was never started, once.
    expect(await startBreakGlassNotifications(ctx.services)).toBe(1);
    await ctx.temporal.client.workflow.getHandle(id).result();
    const sent = fake.messages.slice(messagesBefore);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.title).toBe('Vigil: break-glass admitted Pod payments/checkout in cluster "prod-eu"');
    expect(sent[0]?.text).toContain('INC-11');
    // Every later run finds the workflow started (and the delivery ledger sent): nothing twice.
    expect(await startBreakGlassNotifications(ctx.services)).toBe(0);
    expect(fake.messages).toHaveLength(messagesBefore + 1);
  });
});
