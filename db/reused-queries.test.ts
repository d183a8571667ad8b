import { eq, getTableColumns, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '../domain/ids.js';
import { reusedQuery } from '../platform/reused-queries.js';
import { createTestDatabase } from '../test/database.js';
import type { DatabaseHandle } from './client.js';
import { assetGroupMembers, assetGroups, assets } from './schema/inventory.js';

/** A kept select maps its rows itself (platform/reused-queries.ts); the rows must be Drizzle's own, value for value. */
describe('rows of a kept query', () => {
  let handle: DatabaseHandle;
  const accountId = uuidv7();

  beforeAll(async () => {
    handle = await createTestDatabase();
    const { db } = handle;
    const [group] = await db.insert(assetGroups).values({ accountId, name: 'web' }).returning();
    const rows = await db
      .insert(assets)
      .values([
        {
          accountId,
          instanceId: 'i-1',
          name: 'web-1',
          hostname: 'web-1.example',
          ips: ['10.0.0.1', '10.0.0.2'],
          ipText: '10.0.0.1 10.0.0.2',
          osFamily: 'linux',
          tags: ['a "quoted", tag', 'b'],
          agentStatus: 'online',
          lastSeenAt: new Date('2026-01-02T03:04:05.678Z'),
        },
        { accountId, instanceId: 'i-2', name: 'db-1', hostname: 'db-1.example', osFamily: 'windows' },
      ])
      .returning();
    await db
      .insert(assetGroupMembers)
      .values({ accountId, groupId: group?.id ?? '', assetId: rows[0]?.id ?? '' });
  });
  afterAll(async () => {
    await handle.close();
  });

  const flatSelect = () =>
    handle.db
      .select({
        ...getTableColumns(assets),
        twice: sql<number>`count(*) over () * 2`.mapWith(Number),
        label: sql<string>`upper(${assets.name})`.as('label'),
        never: sql<string | null>`null::text`,
      })
      .from(assets)
      .where(eq(assets.accountId, sql.placeholder('accountId')))
      .orderBy(assets.instanceId);

  it('maps every column type, SQL fields and nulls exactly as Drizzle does', async () => {
    const kept = reusedQuery(handle.db, 'test:flat', () => flatSelect().prepare('kept_flat'));
    expect((kept as unknown as { customResultMapper?: unknown }).customResultMapper).toBeTypeOf('function');
    const fast = await kept.execute({ accountId });
    const drizzle = await flatSelect().prepare('drizzle_flat').execute({ accountId });
    expect(fast).toEqual(drizzle);
    expect(fast).toHaveLength(2);
    const [web, win] = fast;
    expect(web?.lastSeenAt).toEqual(new Date('2026-01-02T03:04:05.678Z'));
    expect(web?.createdAt).toBeInstanceOf(Date);
    expect(web?.tags).toEqual(['a "quoted", tag', 'b']);
    expect(web?.groupRefs.map((g) => g.name)).toEqual(['web']);
    expect(web?.twice).toBe(4);
    expect(web?.label).toBe('WEB-1');
    expect(win?.lastSeenAt).toBeNull();
    expect(win?.never).toBeNull();
    expect(Object.keys(web ?? {})).toEqual(Object.keys(drizzle[0] ?? {}));
  });

  it('leaves a select with a joined table to Drizzle, which nulls a missing joined row', async () => {
    const joined = () =>
      handle.db
        .select({ asset: { name: assets.name }, group: { name: assetGroups.name } })
        .from(assets)
        .leftJoin(assetGroupMembers, eq(assetGroupMembers.assetId, assets.id))
        .leftJoin(assetGroups, eq(assetGroups.id, assetGroupMembers.groupId))
        .where(eq(assets.accountId, sql.placeholder('accountId')))
        .orderBy(assets.instanceId);
    const kept = reusedQuery(handle.db, 'test:joined', () => joined().prepare('kept_joined'));
    expect((kept as unknown as { customResultMapper?: unknown }).customResultMapper).toBeUndefined();
    expect(await kept.execute({ accountId })).toEqual([
      { asset: { name: 'web-1' }, group: { name: 'web' } },
      { asset: { name: 'db-1' }, group: null },
    ]);
  });
});
