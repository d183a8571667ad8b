import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agents } from '../../db/schema/agents.js';
import { randomToken } from '../../platform/secrets.js';
import {
  body,
  createTestContext,
  reportAsset,
  type Page,
  type TestAccount,
  type TestContext,
} from '../../test/harness.js';
import type { TAgentSettings } from './agent-settings.js';

/** The contract of the agent-settings list: only the caller's agents, never another account's. */
let ctx: TestContext;
let mine: TestAccount;
let theirs: TestAccount;

async function agentOn(acct: TestAccount, name: string): Promise<string> {
  const assetId = await reportAsset(ctx, acct, name, '10.9.0.4');
  const [agent] = await ctx.database.db
    .insert(agents)
    .values({
      accountId: acct.accountId,
      assetId,
      tokenHash: randomToken(16),
      hostname: name,
      executor: 'simulate',
    })
    .returning({ id: agents.id });
  if (!agent) throw new Error('no agent');
  return agent.id;
}
const list = async (key: string) =>
  (await body<Page<TAgentSettings>>(await ctx.request('GET', '/v1/agent-settings', { key }))).items;

beforeAll(async () => {
  ctx = await createTestContext();
  [mine, theirs] = await Promise.all([ctx.createAccount('settings'), ctx.createAccount('other')]);
});
afterAll(() => ctx?.close());

describe('agent settings contract', () => {
  it("lists only the caller's agents", async () => {
    const myAgent = await agentOn(mine, 'my-host');
    const theirAgent = await agentOn(theirs, 'their-host');
    const items = await list(mine.apiKey);
    expect(items.map((a) => [a.id, a.assetName, a.latestRevision])).toEqual([[myAgent, 'my-host', null]]);
    expect((await list(theirs.apiKey)).map((a) => a.id)).toEqual([theirAgent]);
    const bad = await ctx.request('GET', '/v1/agent-settings?limit=0', { key: mine.apiKey });
    expect(bad.status).toBe(400);
  });
});
