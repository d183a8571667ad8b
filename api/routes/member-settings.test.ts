import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MEMBER_SETTINGS } from '../../domain/multi-account/member-settings.js';
import { contractSuite } from '../../test/contract.js';
import { body, type ErrorEnvelope, type Page, type TestAccount } from '../../test/harness.js';
import type { TMemberRisks, TMemberSettingsState, TPutMemberSettingsBody } from './member-settings.js';

/**
 * The contract of a member's settings and risks: only an administrator of the member's directory reaches them
 * (anyone else: 404, nothing saved), and a document naming another account's asset is a 422 that saves nothing.
 */
const s = contractSuite({ mgmt: 'management', otherMgmt: 'other management', outsider: 'outsider' });
let member: string;
let otherMember: string;

async function directoryWithMember(admin: TestAccount, name: string): Promise<string> {
  await s.call(admin.apiKey, 'POST', '/v1/resource-directory', 201, { name: `${name} directory` });
  // Managed from the start: only a managed member's settings are the administrator's to set.
  await s.call(admin.apiKey, 'PUT', '/v1/multi-account/auto-add', 200, { enabled: true });
  const created = await s.call<{ id: string; managed: boolean }>(
    admin.apiKey,
    'POST',
    '/v1/resource-directory/accounts',
    201,
    { name },
  );
  expect(created.managed).toBe(true);
  return created.id;
}
const settingsOf = (key: string, id: string) =>
  s.call<TMemberSettingsState>(key, 'GET', `/v1/multi-account/members/${id}/settings`, 200);
const saves = async (key: string) =>
  (await s.call<Page<unknown>>(key, 'GET', '/v1/audit-log?action=multi_account.member_settings.save', 200))
    .items.length;

beforeAll(async () => {
  member = await directoryWithMember(s.mgmt, 'member');
  otherMember = await directoryWithMember(s.otherMgmt, 'other member');
});

describe('member settings contract', () => {
  it('answers 404 to anyone who does not administer the member, and saves nothing', async () => {
    for (const [key, id] of [
      [s.outsider.apiKey, member],
      [s.otherMgmt.apiKey, member],
      [s.mgmt.apiKey, otherMember],
    ] as const) {
      for (const [method, path, b] of [
        ['GET', `/v1/multi-account/members/${id}/settings`],
        [
          'PUT',
          `/v1/multi-account/members/${id}/settings`,
          DEFAULT_MEMBER_SETTINGS satisfies TPutMemberSettingsBody,
        ],
        ['GET', `/v1/multi-account/members/${id}/risks`],
      ] as const) {
        const e = await s.call<ErrorEnvelope>(key, method, path, 404, b);
        expect(e.error.code, `${method} ${path}`).toBe('not_found');
      }
    }
    const outsiderOverview = await s.call<ErrorEnvelope>(
      s.outsider.apiKey,
      'GET',
      '/v1/multi-account/overview',
      404,
    );
    expect(outsiderOverview.error.code).toBe('not_found');
    expect((await settingsOf(s.mgmt.apiKey, member)).revision).toBeNull();
    expect((await settingsOf(s.otherMgmt.apiKey, otherMember)).revision).toBeNull();
    expect(await saves(s.mgmt.apiKey)).toBe(0);
    expect(await saves(s.otherMgmt.apiKey)).toBe(0);
  });

  it("refuses settings naming another account's asset with 422 and saves nothing", async () => {
    const res = await s.ctx.request('POST', '/v1/assets', {
      key: s.outsider.apiKey,
      body: { assets: [{ name: 'not-yours', hostname: 'not-yours', ips: ['10.9.0.5'], osFamily: 'linux' }] },
    });
    const [foreignAsset] = (await body<{ ids: string[] }>(res)).ids;
    const settings: TPutMemberSettingsBody = {
      ...DEFAULT_MEMBER_SETTINGS,
      vulnerabilityManagement: {
        ...DEFAULT_MEMBER_SETTINGS.vulnerabilityManagement,
        scannedAssets: { mode: 'selected', assetIds: [foreignAsset ?? ''] },
      },
    };
    const e = await s.call<ErrorEnvelope>(
      s.mgmt.apiKey,
      'PUT',
      `/v1/multi-account/members/${member}/settings`,
      422,
      settings,
    );
    expect(e.error.code).toBe('unprocessable');
    expect(e.error.details).toMatchObject({ assetIds: [foreignAsset] });
    expect((await settingsOf(s.mgmt.apiKey, member)).revision).toBeNull();
    expect(await saves(s.mgmt.apiKey)).toBe(0);

    // The administrator saves a document without foreign assets, and reads the member's risks.
    const saved = await s.call<TMemberSettingsState>(
      s.mgmt.apiKey,
      'PUT',
      `/v1/multi-account/members/${member}/settings`,
      200,
      DEFAULT_MEMBER_SETTINGS,
    );
    expect(saved).toMatchObject({ memberId: member, revision: 1 });
    const risks = await s.call<TMemberRisks>(
      s.mgmt.apiKey,
      'GET',
      `/v1/multi-account/members/${member}/risks`,
      200,
    );
    expect(risks.accountId).toBe(member);
  });
});
