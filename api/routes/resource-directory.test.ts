import { beforeAll, describe, expect, it } from 'vitest';
import { contractSuite } from '../../test/contract.js';
import { type ErrorEnvelope, type Page } from '../../test/harness.js';
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
const s = contractSuite({
  mgmt: 'management',
  otherMgmt: 'other management',
  invitee: 'invitee',
  outsider: 'outsider',
});
let member: TCreatedDirectoryAccount;
let invitation: TDirectoryInvitation;

const accountsOf = async (key: string) =>
  (await s.call<Page<TDirectoryAccount>>(key, 'GET', '/v1/resource-directory/accounts', 200)).items.map(
    (a) => a.id,
  );
const invitationsOf = (key: string) =>
  s
    .call<Page<TDirectoryInvitation>>(key, 'GET', '/v1/resource-directory/invitations', 200)
    .then((p) => p.items);

beforeAll(async () => {
  await s.call<TResourceDirectory>(s.mgmt.apiKey, 'POST', '/v1/resource-directory', 201, { name: 'Mine' });
  await s.call<TResourceDirectory>(s.otherMgmt.apiKey, 'POST', '/v1/resource-directory', 201, {
    name: 'Theirs',
  });
  member = await s.call<TCreatedDirectoryAccount>(
    s.mgmt.apiKey,
    'POST',
    '/v1/resource-directory/accounts',
    201,
    {
      name: 'member',
    },
  );
  invitation = await s.call<TDirectoryInvitation>(
    s.mgmt.apiKey,
    'POST',
    '/v1/resource-directory/invitations',
    201,
    {
      accountId: s.invitee.accountId,
    } satisfies TInviteAccountBody,
  );
});

describe('resource directory contract', () => {
  it("answers 404 for another directory's account and invitation, and changes nothing", async () => {
    const inv = `/v1/resource-directory/invitations/${invitation.id}`;
    for (const [key, method, path] of [
      [s.otherMgmt.apiKey, 'POST', `${inv}/accept`],
      [s.otherMgmt.apiKey, 'POST', `${inv}/decline`],
      [s.otherMgmt.apiKey, 'POST', `${inv}/cancel`],
      [s.mgmt.apiKey, 'POST', `${inv}/accept`], // the inviting directory cannot answer for the s.invitee
      [s.invitee.apiKey, 'POST', `${inv}/cancel`], // nor the s.invitee cancel for the directory
      [s.otherMgmt.apiKey, 'DELETE', `/v1/resource-directory/accounts/${member.id}`],
      [s.outsider.apiKey, 'GET', '/v1/resource-directory'],
      [s.outsider.apiKey, 'GET', '/v1/resource-directory/accounts'],
      [s.outsider.apiKey, 'POST', '/v1/resource-directory/leave'],
    ] as const) {
      const e = await s.call<ErrorEnvelope>(key, method, path, 404);
      expect(e.error.code, `${method} ${path}`).toBe('not_found');
    }
    const [pending] = await invitationsOf(s.invitee.apiKey);
    expect(pending).toMatchObject({ id: invitation.id, status: 'pending', direction: 'received' });
    expect(await accountsOf(s.mgmt.apiKey)).toEqual(expect.arrayContaining([s.mgmt.accountId, member.id]));
    expect(await accountsOf(s.otherMgmt.apiKey)).toEqual([s.otherMgmt.accountId]);
  });

  it('refuses the 409 and 422 rules and writes nothing', async () => {
    const before = {
      directory: await s.call<TResourceDirectory>(s.mgmt.apiKey, 'GET', '/v1/resource-directory', 200),
      accounts: await accountsOf(s.mgmt.apiKey),
      invitations: await invitationsOf(s.mgmt.apiKey),
    };
    const refusals: [string, string, unknown, number][] = [
      ['POST', '/v1/resource-directory', { name: 'Second' }, 409],
      ['POST', '/v1/resource-directory/invitations', { accountId: member.id }, 409],
      ['POST', '/v1/resource-directory/invitations', { accountId: s.otherMgmt.accountId }, 409],
      ['POST', '/v1/resource-directory/invitations', { accountId: s.invitee.accountId }, 409],
      ['POST', '/v1/resource-directory/leave', undefined, 409],
      ['DELETE', `/v1/resource-directory/accounts/${s.mgmt.accountId}`, undefined, 422],
    ];
    for (const [method, path, b, status] of refusals) {
      const e = await s.call<ErrorEnvelope>(s.mgmt.apiKey, method, path, status, b);
      expect(e.error.code, `${method} ${path}`).toBe(status === 409 ? 'conflict' : 'unprocessable');
    }
    expect(await s.call<TResourceDirectory>(s.mgmt.apiKey, 'GET', '/v1/resource-directory', 200)).toEqual(
      before.directory,
    );
    expect(await accountsOf(s.mgmt.apiKey)).toEqual(before.accounts);
    expect(await invitationsOf(s.mgmt.apiKey)).toEqual(before.invitations);

    // An answered invitation cannot be answered or cancelled again.
    const declined = await s.call<TDirectoryInvitation>(
      s.invitee.apiKey,
      'POST',
      `/v1/resource-directory/invitations/${invitation.id}/decline`,
      200,
    );
    expect(declined.status).toBe('declined');
    await s.call<ErrorEnvelope>(
      s.invitee.apiKey,
      'POST',
      `/v1/resource-directory/invitations/${invitation.id}/accept`,
      409,
    );
    await s.call<ErrorEnvelope>(
      s.mgmt.apiKey,
      'POST',
      `/v1/resource-directory/invitations/${invitation.id}/cancel`,
      409,
    );
    expect(await accountsOf(s.mgmt.apiKey)).not.toContain(s.invitee.accountId);
    const [after] = await invitationsOf(s.invitee.apiKey);
    expect(after?.status).toBe('declined');
  });
});
