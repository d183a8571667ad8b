import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAccount } from '../services/accounts/create-account.js';
import { createTestDatabase } from '../test/database.js';
import { recordAudit } from './audit.js';
import type { DatabaseHandle } from './client.js';
import { equals, newestFirst, oldestFirst } from './id-pages.js';
import { auditLog } from './schema/audit.js';

let handle: DatabaseHandle;
let mine: string;
let theirs: string;

beforeAll(async () => {
  handle = await createTestDatabase();
  mine = (await createAccount(handle.db, { name: 'mine' })).account.id;
  theirs = (await createAccount(handle.db, { name: 'theirs' })).account.id;
  for (const [accountId, action, n] of [
    [mine, 'a.x', 3],
    [mine, 'b.y', 2],
    [theirs, 'a.x', 2],
  ] as const) {
    for (let i = 0; i < n; i++) {
      await recordAudit(handle.db, {
        accountId,
        actor: 'test',
        action,
        targetType: 't',
        targetId: `${action}-${i}`,
      });
    }
  }
});
afterAll(() => handle.close());

const actions = (rows: { action: string }[]) => rows.map((r) => r.action);

describe('id pages', () => {
  it('run a statement built once per shape, with each call’s own account, filter values and cursor', async () => {
    const { db } = handle;
    const select = vi.spyOn(db, 'select');
    try {
      const own = await db.select().from(auditLog).where(eq(auditLog.accountId, mine)).orderBy(auditLog.id);
      select.mockClear();
      const a = await newestFirst(
        db,
        auditLog,
        { accountId: mine, limit: 10 },
        equals(auditLog.action, 'a.x'),
      );
      const b = await newestFirst(
        db,
        auditLog,
        { accountId: mine, limit: 10 },
        equals(auditLog.action, 'b.y'),
      );
      const other = await newestFirst(
        db,
        auditLog,
        { accountId: theirs, limit: 10 },
        equals(auditLog.action, 'b.y'),
      );
      expect(actions(a)).toEqual(['a.x', 'a.x', 'a.x']);
      expect(actions(b)).toEqual(['b.y', 'b.y']);
      expect(other).toEqual([]);
      expect(select).toHaveBeenCalledTimes(1); // one shape: built once, run three times

      // Another shape (a cursor; a limit of its own) is built once too, and reads past its cursor.
      const second = own[1]?.id ?? '';
      const after = await oldestFirst(db, auditLog, { accountId: mine, limit: 1, after: second });
      const afterFirst = await oldestFirst(db, auditLog, { accountId: mine, limit: 1, after: own[0]?.id });
      expect(after.map((r) => r.id)).toEqual(own.slice(2, 4).map((r) => r.id));
      expect(afterFirst.map((r) => r.id)).toEqual(own.slice(1, 3).map((r) => r.id));
      expect(select).toHaveBeenCalledTimes(2);
    } finally {
      select.mockRestore();
    }
  });

  it('leave an undefined filter out, and build a page with an SQL filter for the call', async () => {
    const { db } = handle;
    const all = await newestFirst(
      db,
      auditLog,
      { accountId: mine, limit: 10 },
      equals(auditLog.action, undefined),
    );
    expect(all).toHaveLength(5);
    const targeted = await newestFirst(
      db,
      auditLog,
      { accountId: mine, limit: 10 },
      equals(auditLog.action, 'a.x'),
      eq(auditLog.targetId, 'a.x-1'),
    );
    expect(targeted.map((r) => r.targetId)).toEqual(['a.x-1']);
  });
});
