import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { body, createTestContext, type TestAccount, type TestContext } from '../../test/harness.js';
import type { TAccountOverview } from './account-overview.js';

let ctx: TestContext;
let acct: TestAccount;
let other: TestAccount;

beforeAll(async () => {
  ctx = await createTestContext();
  acct = await ctx.createAccount('overview');
  other = await ctx.createAccount('someone else');
});
afterAll(async () => ctx?.close());

async function post(key: string, path: string, payload: unknown) {
  const res = await ctx.request('POST', path, { key, body: payload });
  expect(res.status, path).toBeLessThan(300);
  return body<Record<string, unknown>>(res);
}

const overview = async (key: string) =>
  body<TAccountOverview>(await ctx.request('GET', '/v1/account/overview', { key }));

describe('GET /v1/account/overview', () => {
  it("counts the caller's open vulnerabilities by severity and its assets by agent status", async () => {
    const made = await post(acct.apiKey, '/v1/assets', {
      assets: [1, 2, 3].map((i) => ({ name: `o-${i}`, hostname: `h${i}`, osFamily: 'linux' })),
    });
    const [a1, a2] = made.ids as string[];
    await post(acct.apiKey, '/v1/vulnerabilities', {
      items: [
        { assetId: a1, type: 'linux', name: 'V-1', title: 'v', severity: 'high', status: 'open' },
        { assetId: a2, type: 'linux', name: 'V-2', title: 'v', severity: 'high', status: 'open' },
        { assetId: a2, type: 'linux', name: 'V-3', title: 'v', severity: 'low', status: 'fixed' },
      ],
    });
    const mine = await overview(acct.apiKey);
    expect(mine.openVulnerabilities).toEqual({ critical: 0, high: 2, medium: 0, low: 0 });
    expect(mine.unhandledAlerts).toEqual({ critical: 0, high: 0, medium: 0, low: 0 });
    expect(mine.assets).toEqual({ online: 0, offline: 0, none: 3 });
    expect(mine.score).toBeLessThan(100);
    // Another account's findings and assets are not counted.
    const theirs = await overview(other.apiKey);
    expect(theirs.openVulnerabilities).toEqual({ critical: 0, high: 0, medium: 0, low: 0 });
    expect(theirs.assets).toEqual({ online: 0, offline: 0, none: 0 });
    expect(theirs.score).toBe(100);
  });
});
