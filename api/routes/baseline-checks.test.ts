import { describe, expect, it } from 'vitest';
import { baselineChecks } from '../../db/schema/findings.js';
import { contractSuite } from '../../test/contract.js';
import { body, reportAsset, type Page, type TestAccount } from '../../test/harness.js';
import type { TBaselineCheck } from './baseline-checks.js';

/** The contract of the baseline-check list: only the caller's checks, and another account's asset filters to none. */
const s = contractSuite({ mine: 'baseline', theirs: 'other' });

async function checkedAsset(acct: TestAccount, name: string): Promise<string> {
  const id = await reportAsset(s.ctx, acct, name, '10.9.0.3');
  await s.ctx.database.db.insert(baselineChecks).values({
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
  (await body<Page<TBaselineCheck>>(await s.ctx.request('GET', `/v1/baseline-checks${query}`, { key })))
    .items;

describe('baseline checks contract', () => {
  it("lists only the caller's checks; another account's asset id filters to nothing", async () => {
    const myAsset = await checkedAsset(s.mine, 'my-host');
    const theirAsset = await checkedAsset(s.theirs, 'their-host');
    const items = await list(s.mine.apiKey);
    expect(items.map((c) => [c.assetId, c.assetName, c.passed, c.failed])).toEqual([
      [myAsset, 'my-host', 10, 2],
    ]);
    expect(await list(s.mine.apiKey, `?assetId=${theirAsset}`)).toEqual([]);
    expect((await list(s.theirs.apiKey)).map((c) => c.assetId)).toEqual([theirAsset]);
    expect(
      (await s.ctx.request('GET', '/v1/baseline-checks?assetId=nope', { key: s.mine.apiKey })).status,
    ).toBe(400);
  });
});
