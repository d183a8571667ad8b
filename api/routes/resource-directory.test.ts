import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestContext,
  type ErrorEnvelope,
  type Page,
  type TestAccount,
  type TestContext,
} from '../../test/harness.js';
import type {
  TCreatedDirectoryAccount,
  TDirectoryAccount,
  TDirectoryInvitation,
  TInviteAccountBody,
  TResourceDirectory,
} from './resource-directory.js';

/**
 * The contract of the resource directory: another directory's accounts and invitations do not exist (404, nothing
 * changes), and the 409/422 rules (one directory per account, one pending invitation, management leaves last and is
 * never removed) write nothing.
 */
let ctx: TestContext;
let mgmt: TestAccount;
let otherMgmt: TestAccount;
let invitee: TestAccount;
let outsider: TestAccount;
let member: TCreatedDirectoryAccount;
let invitation: TDirectoryInvitation;

async function call<T>(key: string, method: string, path: string, expected: number, b?: unknown): Promise<T> {
  const res = await ctx.request(method, path, { key, body: b });
  const text = await res.text();
  expect(res.status, `${method} ${path}: ${text}`).toBe(expected);
  return (text === '' ? null : JSON.parse(text)) as T;
}
const accountsOf = async (key: string) =>
  (await call<Page<TDirectoryAccount>>(key, 'GET', '/v1/resource-directory/accounts', 200)).items.map(
    (a) => a.id,
  );
const invitationsOf = (key: string) =>
  call<Page<TDirectoryInvitation>>(key, 'GET', '/v1/resource-directory/invitations', 200).then(
    (p) => p.items,
  );

beforeAll(async () => {
  ctx = await createTestContext();
  [mgmt, otherMgmt, invitee, outsider] = await Promise.all([
    ctx.createAccount('management'),
    ctx.createAccount('other management'),
    ctx.createAccount('invitee'),
    ctx.createAccount('outsider'),
  ]);
  await call<TResourceDirectory>(mgmt.apiKey, 'POST', '/v1/resource-directory', 201, { name: 'Mine' });
  await call<TResourceDirectory>(otherMgmt.apiKey, 'POST', '/v1/resource-directory', 201, { name: 'Theirs' });
  member = await call<TCreatedDirectoryAccount>(mgmt.apiKey, 'POST', '/v1/resource-directory/accounts', 201, {
    name: 'member',
  });
  invitation = await call<TDirectoryInvitation>(
    mgmt.apiKey,
    'POST',
    '/v1/resource-directory/invitations',
    201,
    {
      accountId: invitee.accountId,
    } satisfies TInviteAccountBody,
  );
});
afterAll(() => ctx?.close());

describe('resource directory contract', () => {
  it("answers 404 for another directory's account and invitation, and changes nothing", async () => {
    const inv = `/v1/resource-directory/invitations/${invitation.id}`;
    for (const [key, method, path] of [
      [otherMgmt.apiKey, 'POST', `${inv}/accept`],
      [otherMgmt.apiKey, 'POST', `${inv}/decline`],
      [otherMgmt.apiKey, 'POST', `${inv}/cancel`],
      [mgmt.apiKey, 'POST', `${inv}/accept`], // the inviting directory cannot answer for the invitee
      [invitee.apiKey, 'POST', `${inv}/cancel`], // nor the invitee cancel for the directory
      [otherMgmt.apiKey, 'DELETE', `/v1/resource-directory/accounts/${member.id}`],
      [outsider.apiKey, 'GET', '/v1/resource-directory'],
      [outsider.apiKey, 'GET', '/v1/resource-directory/accounts'],
      [outsider.apiKey, 'POST', '/v1/resource-directory/leave'],
    ] as const) {
      const e = await call<ErrorEnvelope>(key, method, path, 404);
      expect(e.error.code, `${method} ${path}`).toBe('not_found');
    }
    const [pending] = await invitationsOf(invitee.apiKey);
    expect(pending).toMatchObject({ id: invitation.id, status: 'pending', direction: 'received' });
    expect(await accountsOf(mgmt.apiKey)).toEqual(expect.arrayContaining([mgmt.accountId, member.id]));
    expect(await accountsOf(otherMgmt.apiKey)).toEqual([otherMgmt.accountId]);
  });

  it('refuses the 409 and 422 rules and writes nothing', async () => {
    const before = {
      directory: await call<TResourceDirectory>(mgmt.apiKey, 'GET', '/v1/resource-directory', 200),
      accounts: await accountsOf(mgmt.apiKey),
      invitations: await invitationsOf(mgmt.apiKey),
    };
    const refusals: [string, string, unknown, number][] = [
      ['POST', '/v1/resource-directory', { name: 'Second' }, 409],
      ['POST', '/v1/resource-directory/invitations', { accountId: member.id }, 409],
      ['POST', '/v1/resource-directory/invitations', { accountId: otherMgmt.accountId }, 409],
      ['POST', '/v1/resource-directory/invitations', { accountId: invitee.accountId }, 409],
      ['POST', '/v1/resource-directory/leave', undefined, 409],
      ['DELETE', `/v1/resource-directory/accounts/${mgmt.accountId}`, undefined, 422],
    ];
    for (const [method, path, b, status] of refusals) {
      const e = await call<ErrorEnvelope>(mgmt.apiKey, method, path, status, b);
      expect(e.error.code, `${method} ${path}`).toBe(status === 409 ? 'conflict' : 'unprocessable');
    }
    expect(await call<TResourceDirectory>(mgmt.apiKey, 'GET', '/v1/resource-directory', 200)).toEqual(
      before.directory,
    );
    expect(await accountsOf(mgmt.apiKey)).toEqual(before.accounts);
    expect(await invitationsOf(mgmt.apiKey)).toEqual(before.invitations);

    // An answered invitation cannot be answered or cancelled again.
    const declined = await call<TDirectoryInvitation>(
      invitee.apiKey,
      'POST',
      `/v1/resource-directory/invitations/${invitation.id}/decline`,
      200,
    );
    expect(declined.status).toBe('declined');
    await call<ErrorEnvelope>(
      invitee.apiKey,
      'POST',
      `/v1/resource-directory/invitations/${invitation.id}/accept`,
      409,
    );
    await call<ErrorEnvelope>(
      mgmt.apiKey,
      'POST',
      `/v1/resource-directory/invitations/${invitation.id}/cancel`,
      409,
    );
    expect(await accountsOf(mgmt.apiKey)).not.toContain(invitee.accountId);
    const [after] = await invitationsOf(invitee.apiKey);
    expect(after?.status).toBe('declined');
  });
});
