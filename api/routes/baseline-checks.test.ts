import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baselineChecks } from '../../db/schema/findings.js';
import {
  body,
  createTestContext,
  reportAsset,
  type Page,
  type TestAccount,
  type TestContext,
} from '../../test/harness.js';
import type { TBaselineCheck } from './baseline-checks.js';

/** The contract of the baseline-check list: only the caller's checks, and another account's asset filters to none. */
let ctx: TestContext;
let mine: TestAccount;
let theirs: TestAccount;

async function checkedAsset(acct: TestAccount, name: string): Promise<string> {
  const id = await reportAsset(ctx, acct, name, '10.9.0.3');
  await ctx.database.db.insert(baselineChecks).values({
    accountId: acct.accountId,
    assetId: id,
    policyName: 'CIS Level 1',
    status: 'checked',
    passed: 10,
    failed: 2,
    checkedAt: new Date(),
  });
  return id;
}
const list = async (key: string, query = '') =>
  (await body<Page<TBaselineCheck>>(await ctx.request('GET', `/v1/baseline-checks${query}`, { key }))).items;

beforeAll(async () => {
  ctx = await createTestContext();
  [mine, theirs] = await Promise.all([ctx.createAccount('baseline'), ctx.createAccount('other')]);
});
afterAll(() => ctx?.close());

describe('baseline checks contract', () => {
  it("lists only the caller's checks; another account's asset id filters to nothing", async () => {
    const myAsset = await checkedAsset(mine, 'my-host');
    const theirAsset = await checkedAsset(theirs, 'their-host');
    const items = await list(mine.apiKey);
    expect(items.map((c) => [c.assetId, c.assetName, c.passed, c.failed])).toEqual([
      [myAsset, 'my-host', 10, 2],
    ]);
    expect(await list(mine.apiKey, `?assetId=${theirAsset}`)).toEqual([]);
    expect((await list(theirs.apiKey)).map((c) => c.assetId)).toEqual([theirAsset]);
    expect((await ctx.request('GET', '/v1/baseline-checks?assetId=nope', { key: mine.apiKey })).status).toBe(
      400,
    );
  });
});
