import { and, count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DatabaseHandle } from '../../db/client.js';
import { auditLog } from '../../db/schema/audit.js';
import { alerts, vulnerabilities } from '../../db/schema/findings.js';
import { ZAlertInputSchema, ZVulnerabilityInputSchema } from '../../domain/findings-input.js';
import { ZAssetInputSchema } from '../../domain/inventory.js';
import { uuidv7 } from '../../domain/ids.js';
import { createTestDatabase } from '../../test/database.js';
import { createAccount } from '../accounts/create-account.js';
import { ingestFindingBatch } from './ingest-finding-batch.js';
import { upsertAssets } from './upsert-assets.js';

/** The audit write fails for these actions (set per test); every other audit row is written as usual. */
const failing = vi.hoisted(() => ({ actions: new Set<string>() }));
vi.mock('../../db/audit.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../db/audit.js')>();
  return {
    ...real,
    recordAudit: async (...args: Parameters<typeof real.recordAudit>) => {
      if (failing.actions.has(args[1].action)) throw new Error(`audit of ${args[1].action} failed`);
      return real.recordAudit(...args);
    },
  };
});

/** When set, the look-up of a refused batch's asset ids answers this (an asset added since the statement ran). */
const lookup = vi.hoisted(() => ({ answer: null as string[] | null }));
vi.mock('./ingest-findings.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('./ingest-findings.js')>();
  return {
    ...real,
    unknownAssetIds: async (...args: Parameters<typeof real.unknownAssetIds>) =>
      lookup.answer ?? real.unknownAssetIds(...args),
  };
});

let database: DatabaseHandle;
let accountId: string;
let assetId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  accountId = (await createAccount(database.db, { name: 'ingest' })).account.id;
  const created = await upsertAssets(database.db, accountId, [
    ZAssetInputSchema.parse({ name: 'ingest-host', hostname: 'ingest-host', osFamily: 'linux' }),
  ]);
  assetId = created.ids[0] ?? '';
});
afterAll(() => database.close());

const actor = () => ({ accountId, actor: 'test-scanner' });
const rowsOf = async (table: typeof alerts | typeof vulnerabilities) =>
  (await database.db.select({ n: count() }).from(table).where(eq(table.accountId, accountId)))[0]?.n;
const audited = async (action: string) =>
  (
    await database.db
      .select({ n: count() })
      .from(auditLog)
      .where(and(eq(auditLog.accountId, accountId), eq(auditLog.action, action)))
  )[0]?.n;

describe('finding ingest and its audit row commit together', () => {
  const vulnerability = () =>
    ZVulnerabilityInputSchema.parse({
      assetId,
      type: 'linux',
      name: 'USN-7',
      title: 'openssl',
      severity: 'high',
    });
  const alert = () =>
    ZAlertInputSchema.parse({
      externalId: 'alert-1',
      assetId,
      name: 'miner',
      severity: 'high',
      occurredAt: '2026-12-01T00:00:00Z',
    });

  it('writes no vulnerability when its audit row fails (the one-statement upsert)', async () => {
    failing.actions = new Set(['vulnerabilities.ingest']);
    await expect(
      ingestFindingBatch(database.db, actor(), { kind: 'vulnerabilities', items: [vulnerability()] }),
    ).rejects.toThrow('audit of vulnerabilities.ingest failed');
    expect(await rowsOf(vulnerabilities)).toBe(0);
  });

  it('writes no alert when its audit row fails (the chunked upsert)', async () => {
    failing.actions = new Set(['alerts.ingest']);
    await expect(
      ingestFindingBatch(database.db, actor(), { kind: 'alerts', items: [alert()] }),
    ).rejects.toThrow('audit of alerts.ingest failed');
    expect(await rowsOf(alerts)).toBe(0);
  });

  it('writes the findings and one audit row when both succeed', async () => {
    failing.actions = new Set();
    expect(
      await ingestFindingBatch(database.db, actor(), { kind: 'vulnerabilities', items: [vulnerability()] }),
    ).toEqual({ created: 1, updated: 0 });
    expect(await ingestFindingBatch(database.db, actor(), { kind: 'alerts', items: [alert()] })).toEqual({
      created: 1,
      updated: 0,
    });
    expect([await rowsOf(vulnerabilities), await rowsOf(alerts)]).toEqual([1, 1]);
    expect([await audited('vulnerabilities.ingest'), await audited('alerts.ingest')]).toEqual([1, 1]);
  });
});

describe('a batch naming assets that are not the account’s', () => {
  const item = (asset: string, name: string) =>
    ZVulnerabilityInputSchema.parse({ assetId: asset, type: 'linux', name, title: 't', severity: 'low' });

  it('is a 422 naming those asset ids once each, in their first order, and writes nothing', async () => {
    failing.actions = new Set();
    const other = (await createAccount(database.db, { name: 'other' })).account.id;
    const [foreign = ''] = (
      await upsertAssets(database.db, other, [
        ZAssetInputSchema.parse({ name: 'theirs', hostname: 'theirs', osFamily: 'linux' }),
      ])
    ).ids;
    const missing = uuidv7();
    const before = [await rowsOf(vulnerabilities), await audited('vulnerabilities.ingest')];
    const items = [
      item(assetId, 'USN-new-1'),
      item(missing, 'USN-new-2'),
      item(foreign, 'USN-new-3'),
      item(missing, 'USN-new-4'),
      item(assetId, 'USN-new-5'),
    ];
    const refused = await ingestFindingBatch(database.db, actor(), { kind: 'vulnerabilities', items }).catch(
      (err: unknown) => err,
    );
    expect(refused).toMatchObject({ code: 'unprocessable', details: { assetIds: [missing, foreign] } });
    expect([await rowsOf(vulnerabilities), await audited('vulnerabilities.ingest')]).toEqual(before);
  });

  it('is a 409 to send again when every asset it named exists by the time it is refused', async () => {
    failing.actions = new Set();
    lookup.answer = [];
    try {
      const before = await rowsOf(vulnerabilities);
      await expect(
        ingestFindingBatch(database.db, actor(), {
          kind: 'vulnerabilities',
          items: [item(uuidv7(), 'USN-race')],
        }),
      ).rejects.toMatchObject({ code: 'conflict' });
      expect(await rowsOf(vulnerabilities)).toBe(before);
    } finally {
      lookup.answer = null;
    }
  });
});
