import { describe, expect, it } from 'vitest';
import { addAgent, contractSuite } from '../../test/contract.js';
import { body, reportAsset, type Page, type TestAccount } from '../../test/harness.js';
import type { TAgentSettings } from './agent-settings.js';

/** The contract of the agent-settings list: only the caller's agents, never another account's. */
const s = contractSuite({ mine: 'settings', theirs: 'other' });

async function agentOn(acct: TestAccount, name: string): Promise<string> {
  return addAgent(s.ctx, acct, await reportAsset(s.ctx, acct, name, '10.9.0.4'), name);
}
const list = async (key: string) =>
  (await body<Page<TAgentSettings>>(await s.ctx.request('GET', '/v1/agent-settings', { key }))).items;

describe('agent settings contract', () => {
  it("lists only the caller's agents", async () => {
    const myAgent = await agentOn(s.mine, 'my-host');
    const theirAgent = await agentOn(s.theirs, 'their-host');
    const items = await list(s.mine.apiKey);
    expect(items.map((a) => [a.id, a.assetName, a.latestRevision])).toEqual([[myAgent, 'my-host', null]]);
    expect((await list(s.theirs.apiKey)).map((a) => a.id)).toEqual([theirAgent]);
    const bad = await s.ctx.request('GET', '/v1/agent-settings?limit=0', { key: s.mine.apiKey });
    expect(bad.status).toBe(400);
  });
});
