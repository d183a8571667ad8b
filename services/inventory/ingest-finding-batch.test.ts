import { and, count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DatabaseHandle } from '../../db/client.js';
import { auditLog } from '../../db/schema/audit.js';
import { alerts, vulnerabilities } from '../../db/schema/findings.js';
import { ZAlertInputSchema, ZVulnerabilityInputSchema } from '../../domain/findings-input.js';
import { ZAssetInputSchema } from '../../domain/inventory.js';
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
