import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agents } from '../../db/schema/agents.js';
import { randomToken } from '../../platform/secrets.js';
import {
  body,
  createTestContext,
  type ErrorEnvelope,
  type Page,
  type TestAccount,
  type TestContext,
} from '../../test/harness.js';
import type { TAssetScanStarted } from './asset-scans.js';

/** The contract of Scan Now: another account's asset does not exist; an asset without an agent is a 422. */
let ctx: TestContext;
let mine: TestAccount;
let theirs: TestAccount;

async function assetOf(acct: TestAccount, name: string): Promise<string> {
  const host = {
    name,
    hostname: `${name}.example`,
    ips: ['10.9.0.2'],
    osFamily: 'linux',
    osVersion: 'Debian 12',
  };
  expect(
    (await ctx.request('POST', '/v1/assets', { key: acct.apiKey, body: { assets: [host] } })).status,
  ).toBe(200);
  const page = await body<Page<{ id: string; name: string }>>(
    await ctx.request('GET', '/v1/assets', { key: acct.apiKey }),
  );
  const found = page.items.find((a) => a.name === name);
  if (!found) throw new Error(`asset ${name} not listed`);
  return found.id;
}
const scans = async (key: string) =>
  (
    await body<Page<{ targetId: string }>>(
      await ctx.request('GET', '/v1/audit-log?action=asset.scan', { key }),
    )
  ).items;

beforeAll(async () => {
  ctx = await createTestContext();
  [mine, theirs] = await Promise.all([ctx.createAccount('scans'), ctx.createAccount('other')]);
});
afterAll(() => ctx?.close());

describe('asset scan contract', () => {
  it("answers 404 for another account's asset and an unknown id, and starts nothing", async () => {
    const theirAsset = await assetOf(theirs, 'their-host');
    for (const id of [theirAsset, '00000000-0000-4000-8000-000000000000']) {
      const res = await ctx.request('POST', `/v1/assets/${id}/scan`, { key: mine.apiKey });
      expect(res.status).toBe(404);
      expect((await body<ErrorEnvelope>(res)).error.code).toBe('not_found');
    }
    expect(await scans(mine.apiKey)).toEqual([]);
    expect(await scans(theirs.apiKey)).toEqual([]);
  });

  it('answers 422 for an asset without an agent and records no scan', async () => {
    const myAsset = await assetOf(mine, 'no-agent');
    const res = await ctx.request('POST', `/v1/assets/${myAsset}/scan`, { key: mine.apiKey });
    expect(res.status).toBe(422);
    const e = await body<ErrorEnvelope>(res);
    expect(e.error.code).toBe('unprocessable');
    expect(e.error.message).toContain('no agent');
    expect(await scans(mine.apiKey)).toEqual([]);
  });

  it('starts a scan of an asset with an agent; another account still gets 404 and starts nothing', async () => {
    const myAsset = await assetOf(mine, 'with-agent');
    await ctx.database.db.insert(agents).values({
      accountId: mine.accountId,
      assetId: myAsset,
      tokenHash: randomToken(16),
      hostname: 'with-agent',
      executor: 'simulate',
    });
    const refused = await ctx.request('POST', `/v1/assets/${myAsset}/scan`, { key: theirs.apiKey });
    expect(refused.status).toBe(404);
    expect(await scans(theirs.apiKey)).toEqual([]);
    expect(await scans(mine.apiKey)).toEqual([]);
    const res = await ctx.request('POST', `/v1/assets/${myAsset}/scan`, { key: mine.apiKey });
    expect(res.status).toBe(202);
    const started = await body<TAssetScanStarted>(res);
    expect(started.assetId).toBe(myAsset);
    expect(started.workflowId).toBeTruthy();
    expect((await scans(mine.apiKey)).map((a) => a.targetId)).toEqual([myAsset]);
    // No worker runs in this file: end the scan workflow it started.
    await ctx.temporal.client.workflow.getHandle(started.workflowId).terminate('contract test');
  });

  it('refuses a malformed id with 400', async () => {
    const res = await ctx.request('POST', '/v1/assets/not-a-uuid/scan', { key: mine.apiKey });
    expect(res.status).toBe(400);
  });
});
