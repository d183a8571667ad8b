import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { body, createTestContext, type TestContext } from '../../test/harness.js';
import { DEFAULT_POLICY_PARAMS, SYSTEM_TEMPLATE } from '../../domain/playbook/policy.js';

let ctx: TestContext;
let key: string;
beforeAll(async () => {
  ctx = await createTestContext();
  key = (await ctx.createAccount('policy edits')).apiKey;
});
afterAll(async () => {
  await ctx.close();
});

interface Policy {
  id: string;
  name: string;
  params: Record<string, unknown>;
}

const edited = {
  maxConcurrency: '20%',
  maxErrors: 3,
  stages: [1, 5],
  snapshot: { enabled: true, retentionDays: 30 },
  reboot: 'ifRequired',
  retriesPerFix: 2,
  windowEnd: 'cancel',
  cutoffMinutes: 15,
  verifyAfterFix: false,
  heartbeatTimeoutSeconds: 120,
  dryRun: false,
};

async function clone(): Promise<Policy> {
  const res = await ctx.request('POST', `/v1/playbook/templates/${SYSTEM_TEMPLATE.id}/clone`, {
    key,
    body: { name: 'edited', params: edited },
  });
  expect(res.status).toBe(201);
  return body<Policy>(res);
}

async function patch(id: string, b: unknown): Promise<Response> {
  return ctx.request('PATCH', `/v1/playbook/policies/${id}`, { key, body: b });
}

describe('PATCH /v1/playbook/policies/{id} merges (JSON Merge Patch, RFC 7396)', () => {
  it('changing one parameter keeps every other one', async () => {
    const p = await clone();
    expect(p.params).toEqual(edited);
    const res = await patch(p.id, { params: { reboot: 'never' } });
    expect(res.status).toBe(200);
    expect((await body<Policy>(res)).params).toEqual({ ...edited, reboot: 'never' });
    // And it is what is stored, not only what was answered.
    const read = await ctx.request('GET', `/v1/playbook/policies/${p.id}`, { key });
    expect((await body<Policy>(read)).params).toEqual({ ...edited, reboot: 'never' });
  });

  it('a nested object merges member by member; an array is replaced whole', async () => {
    const p = await clone();
    const res = await patch(p.id, { params: { snapshot: { retentionDays: 3 }, stages: [2] } });
    expect((await body<Policy>(res)).params).toEqual({
      ...edited,
      snapshot: { enabled: true, retentionDays: 3 },
      stages: [2],
    });
  });

  it('null removes a member, which takes its default again', async () => {
    const p = await clone();
    const res = await patch(p.id, {
      params: { maxErrors: null, snapshot: { retentionDays: null }, windowEnd: null },
    });
    expect((await body<Policy>(res)).params).toEqual({
      ...edited,
      maxErrors: DEFAULT_POLICY_PARAMS.maxErrors,
      snapshot: { enabled: true, retentionDays: DEFAULT_POLICY_PARAMS.snapshot.retentionDays },
      windowEnd: DEFAULT_POLICY_PARAMS.windowEnd,
    });
    const all = await patch(p.id, { params: { snapshot: null } });
    expect((await body<Policy>(all)).params.snapshot).toEqual(DEFAULT_POLICY_PARAMS.snapshot);
  });

  it('a name-only edit leaves the parameters alone', async () => {
    const p = await clone();
    const res = await patch(p.id, { name: 'renamed' });
    const after = await body<Policy>(res);
    expect(after.name).toBe('renamed');
    expect(after.params).toEqual(edited);
  });

  it('refuses wrong types and unknown members (400) and leaves the policy unchanged', async () => {
    const p = await clone();
    for (const bad of [
      { params: { reboot: 'sometimes' } },
      { params: { maxErrors: -1 } },
      { params: { snapshot: { keep: true } } },
      { params: { colour: 'red' } },
    ]) {
      const res = await patch(p.id, bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
    }
    const read = await ctx.request('GET', `/v1/playbook/policies/${p.id}`, { key });
    expect((await body<Policy>(read)).params).toEqual(edited);
  });

  it('records the edit in the audit log with the parameters before and after', async () => {
    const p = await clone();
    await patch(p.id, { params: { retriesPerFix: 0 } });
    const res = await ctx.request('GET', `/v1/audit-log?action=playbook_policy.update`, { key });
    const log = await body<{ items: { targetId: string; before: Policy; after: Policy }[] }>(res);
    const row = log.items.find((i) => i.targetId === p.id);
    expect(row?.before.params.retriesPerFix).toBe(2);
    expect(row?.after.params).toEqual({ ...edited, retriesPerFix: 0 });
  });
});
