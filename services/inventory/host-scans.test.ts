import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../../db/schema/audit.js';
import { vulnerabilities } from '../../db/schema/findings.js';
import { memberSettingsRevisions } from '../../db/schema/multi-account.js';
import { DEFAULT_SCAN_CYCLE_DAYS, type THostFinding } from '../../domain/host-findings.js';
import { DEFAULT_MEMBER_SETTINGS } from '../../domain/multi-account/member-settings.js';
import { ZAssetInputSchema } from '../../domain/inventory.js';
import { createTestContext, type TestAccount, type TestContext } from '../../test/harness.js';
import { upsertAssets } from './upsert-assets.js';
import { ingestVulnerabilities } from './ingest-findings.js';
import { reconcileHostFindings, scanCycleDays } from './host-scans.js';

let ctx: TestContext;
let acct: TestAccount;
let assetId: string;

beforeAll(async () => {
  ctx = await createTestContext();
  acct = await ctx.createAccount();
  const created = await upsertAssets(ctx.database.db, acct.accountId, [
    ZAssetInputSchema.parse({ name: 'scan-host', hostname: 'scan-host', osFamily: 'linux' }),
  ]);
  assetId = created.ids[0] ?? '';
});
afterAll(() => ctx.close());

const finding = (pkg: string, fixed = '1.0-2'): THostFinding => ({
  name: pkg,
  title: `${pkg} ${fixed} security update`,
  packageName: pkg,
  installedVersion: '1.0-1',
  fixedVersion: fixed,
  advisory: 'DSA-5999-1',
  cveIds: ['CVE-2026-12345'],
  severity: 'high',
  security: true,
  origin: 'Debian-Security:stable-security',
});

const rows = () =>
  ctx.database.db
    .select({
      name: vulnerabilities.name,
      status: vulnerabilities.status,
      source: vulnerabilities.source,
      fixedOutsideVigil: vulnerabilities.fixedOutsideVigil,
      fixedVersion: vulnerabilities.fixedVersion,
      advisory: vulnerabilities.advisory,
    })
    .from(vulnerabilities)
    .where(and(eq(vulnerabilities.accountId, acct.accountId), eq(vulnerabilities.assetId, assetId)))
    .orderBy(vulnerabilities.name);

const scan = (findings: THostFinding[]) =>
  reconcileHostFindings(ctx.database.db, {
    accountId: acct.accountId,
    assetId,
    findings,
    actor: 'test-scan',
  });

describe('host scan reconciliation', () => {
  it('records findings once by natural key, closes what the host no longer misses, reopens what returns', async () => {
    // A scanner's own finding of the same type is not the agent's to close.
    await ingestVulnerabilities(ctx.database.db, acct.accountId, [
      {
        assetId,
        type: 'linux',
        name: 'USN-1',
        title: 'scanner',
        cveIds: [],
        severity: 'low',
        fixable: true,
        status: 'open',
      },
    ]);
    expect(await scan([finding('a'), finding('b')])).toEqual({
      reported: 2,
      created: 2,
      updated: 0,
      closed: 0,
    });
    // The same scan again changes nothing (idempotent by natural key).
    expect(await scan([finding('a'), finding('b')])).toEqual({
      reported: 2,
      created: 0,
      updated: 2,
      closed: 0,
    });
    expect(await rows()).toEqual([
      {
        name: 'USN-1',
        status: 'open',
        source: 'api',
        fixedOutsideVigil: false,
        fixedVersion: null,
        advisory: null,
      },
      expect.objectContaining({ name: 'a', status: 'open', source: 'agent', advisory: 'DSA-5999-1' }),
      expect.objectContaining({ name: 'b', status: 'open', source: 'agent' }),
    ]);

    // b was upgraded by hand: closed as fixed outside Vigil; a's candidate moved on: same row, new fixed version.
    expect(await scan([finding('a', '1.0-3')])).toEqual({ reported: 1, created: 0, updated: 1, closed: 1 });
    const afterClose = await rows();
    expect(afterClose.find((r) => r.name === 'b')).toMatchObject({
      status: 'fixed',
      fixedOutsideVigil: true,
    });
    expect(afterClose.find((r) => r.name === 'a')).toMatchObject({ status: 'open', fixedVersion: '1.0-3' });
    expect(afterClose.find((r) => r.name === 'USN-1')).toMatchObject({ status: 'open' });

    // b is missing again (downgraded): open again, no longer "fixed outside Vigil".
    await scan([finding('a', '1.0-3'), finding('b')]);
    expect((await rows()).find((r) => r.name === 'b')).toMatchObject({
      status: 'open',
      fixedOutsideVigil: false,
    });

    // An ignored finding stays ignored whatever scans say; an empty scan closes the rest.
    await ctx.database.db
      .update(vulnerabilities)
      .set({ status: 'ignored' })
      .where(and(eq(vulnerabilities.assetId, assetId), eq(vulnerabilities.name, 'a')));
    expect(await scan([])).toMatchObject({ reported: 0, closed: 1 });
    const end = await rows();
    expect(end.find((r) => r.name === 'a')?.status).toBe('ignored');
    expect(end.find((r) => r.name === 'b')).toMatchObject({ status: 'fixed', fixedOutsideVigil: true });

    const audits = await ctx.database.db
      .select({ action: auditLog.action })
      .from(auditLog)
      .where(and(eq(auditLog.accountId, acct.accountId), eq(auditLog.action, 'vulnerability.host_scan')));
    expect(audits).toHaveLength(5);
  });

  it('scans every scanCycleDays of the latest member settings, else the default', async () => {
    expect(await scanCycleDays(ctx.database.db, acct.accountId)).toBe(DEFAULT_SCAN_CYCLE_DAYS);
    for (const [revision, days] of [
      [1, 3],
      [2, 2],
    ] as const) {
      await ctx.database.db.insert(memberSettingsRevisions).values({
        accountId: acct.accountId,
        revision,
        settings: {
          ...DEFAULT_MEMBER_SETTINGS,
          vulnerabilityManagement: {
            ...DEFAULT_MEMBER_SETTINGS.vulnerabilityManagement,
            scanCycleDays: days,
          },
        },
        actor: 'test',
        actorAccountId: acct.accountId,
      });
    }
    expect(await scanCycleDays(ctx.database.db, acct.accountId)).toBe(2);
  });
});
