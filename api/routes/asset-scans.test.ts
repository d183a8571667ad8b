import { describe, expect, it } from 'vitest';
import { addAgent, contractSuite, errorOf } from '../../test/contract.js';
import { body, reportAsset, type ErrorEnvelope, type Page, type TestAccount } from '../../test/harness.js';
import type { TAssetScanStarted } from './asset-scans.js';

/** The contract of Scan Now: another account's asset does not exist; an asset without an agent is a 422. */
const s = contractSuite({ mine: 'scans', theirs: 'other' });

const assetOf = (acct: TestAccount, name: string) => reportAsset(s.ctx, acct, name, '10.9.0.2');
const scans = async (key: string) =>
  (
    await body<Page<{ targetId: string }>>(
      await s.ctx.request('GET', '/v1/audit-log?action=asset.scan', { key }),
    )
  ).items;

describe('asset scan contract', () => {
  it("answers 404 for another account's asset and an unknown id, and starts nothing", async () => {
    const theirAsset = await assetOf(s.theirs, 'their-host');
    for (const id of [theirAsset, '00000000-0000-4000-8000-000000000000']) {
      const res = await s.ctx.request('POST', `/v1/assets/${id}/scan`, { key: s.mine.apiKey });
      expect(await errorOf(res)).toEqual({ status: 404, code: 'not_found' });
    }
    expect(await scans(s.mine.apiKey)).toEqual([]);
    expect(await scans(s.theirs.apiKey)).toEqual([]);
  });

  it('answers 422 for an asset without an agent and records no scan', async () => {
    const myAsset = await assetOf(s.mine, 'no-agent');
    const res = await s.ctx.request('POST', `/v1/assets/${myAsset}/scan`, { key: s.mine.apiKey });
    expect(res.status).toBe(422);
    const e = await body<ErrorEnvelope>(res);
    expect(e.error.code).toBe('unprocessable');
    expect(e.error.message).toContain('no agent');
    expect(await scans(s.mine.apiKey)).toEqual([]);
  });

  it('starts a scan of an asset with an agent; another account still gets 404 and starts nothing', async () => {
    const myAsset = await assetOf(s.mine, 'with-agent');
    await addAgent(s.ctx, s.mine, myAsset, 'with-agent');
    const refused = await s.ctx.request('POST', `/v1/assets/${myAsset}/scan`, { key: s.theirs.apiKey });
    expect(refused.status).toBe(404);
    expect(await scans(s.theirs.apiKey)).toEqual([]);
    expect(await scans(s.mine.apiKey)).toEqual([]);
    const res = await s.ctx.request('POST', `/v1/assets/${myAsset}/scan`, { key: s.mine.apiKey });
    expect(res.status).toBe(202);
    const started = await body<TAssetScanStarted>(res);
    expect(started.assetId).toBe(myAsset);
    expect(started.workflowId).toBeTruthy();
    expect((await scans(s.mine.apiKey)).map((a) => a.targetId)).toEqual([myAsset]);
    // No worker runs in this file: end the scan workflow it started.
    await s.ctx.temporal.client.workflow.getHandle(started.workflowId).terminate('contract test');
  });

  it('refuses a malformed id with 400', async () => {
    const res = await s.ctx.request('POST', '/v1/assets/not-a-uuid/scan', { key: s.mine.apiKey });
    expect(res.status).toBe(400);
  });
});
