import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../db/client.js';
import { admissionDecisions } from '../../db/schema/signature.js';
import { uuidv7 } from '../../domain/ids.js';
import { createTestDatabase } from '../../test/database.js';
import { DecisionQueue, type DecisionQueueOptions, type DecisionRow } from './decision-queue.js';

let database: DatabaseHandle;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.close());

const decision = (accountId: string, requestUid: string, over: Partial<DecisionRow> = {}): DecisionRow => ({
  accountId,
  clusterId: uuidv7(),
  policyId: null,
  policyVersion: null,
  requestUid,
  namespace: 'prod',
  kind: 'Pod',
  name: 'web',
  operation: 'CREATE',
  mode: null,
  allowed: true,
  outcome: 'notCovered',
  message: 'namespace "prod" is under no enabled security policy of this cluster',
  images: [{ field: 'containers', container: 'web', image: 'registry.example.com/shop/web@sha256:ab' }],
  ...over,
});

/** A queue whose every batch must be stored (a refused one fails the test). */
const strictQueue = (options: DecisionQueueOptions) =>
  new DecisionQueue(database.db, (err) => expect.fail(String(err)), options);

const stored = (accountId: string) =>
  database.db
    .select()
    .from(admissionDecisions)
    .where(eq(admissionDecisions.accountId, accountId))
    .orderBy(asc(admissionDecisions.requestUid));

describe('admission decision queue', () => {
  it('writes every decision as recorded, with the time it was made, in batches and on flush', async () => {
    const lost: unknown[] = [];
    const queue = new DecisionQueue(database.db, (err) => lost.push(err), {
      batchRows: 3,
      batchMs: 60_000,
      maxQueued: 1000,
    });
    const accountId = uuidv7();
    const policyId = uuidv7();
    const before = Date.now();
    for (let i = 0; i < 7; i++) {
      expect(
        queue.record(
          decision(accountId, `r${i}`, i === 0 ? { policyId, policyVersion: 2, mode: 'enforce' } : {}),
        ),
      ).toBeNull();
    }
    // Two batches of three went out on their own; the seventh waits for its batch or a flush.
    const started = Date.now();
    while ((await stored(accountId)).length < 6 && Date.now() - started < 5000) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await stored(accountId)).length).toBe(6);
    expect(queue.unwrittenCount).toBe(1);
    await queue.flush();
    const rows = await stored(accountId);
    expect(rows.map((r) => r.requestUid)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6']);
    expect(rows[0]).toMatchObject({
      policyId,
      policyVersion: 2,
      mode: 'enforce',
      allowed: true,
      outcome: 'notCovered',
      images: [{ field: 'containers', container: 'web', image: 'registry.example.com/shop/web@sha256:ab' }],
    });
    expect(rows[1]).toMatchObject({ policyId: null, policyVersion: null, mode: null });
    for (const r of rows) expect(r.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(queue.unwrittenCount).toBe(0);
    expect(lost).toEqual([]);
  });

  it('writes a lone decision within its time window, without a flush', async () => {
    const queue = strictQueue({ batchRows: 100, batchMs: 30, maxQueued: 1000 });
    const accountId = uuidv7();
    queue.record(decision(accountId, 'alone'));
    const started = Date.now();
    while ((await stored(accountId)).length === 0 && Date.now() - started < 5000) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await stored(accountId)).map((r) => r.requestUid)).toEqual(['alone']);
  });

  it('makes the caller wait when the database falls behind, instead of dropping decisions', async () => {
    const queue = strictQueue({ batchRows: 100, batchMs: 60_000, maxQueued: 3 });
    const accountId = uuidv7();
    expect(queue.record(decision(accountId, 'a'))).toBeNull();
    expect(queue.record(decision(accountId, 'b'))).toBeNull();
    const wait = queue.record(decision(accountId, 'c'));
    expect(wait).toBeInstanceOf(Promise);
    await wait;
    expect(queue.unwrittenCount).toBe(0);
    expect((await stored(accountId)).length).toBe(3);
  });

  it("isolates a row the database refuses: the batch's other rows, other accounts' included, are stored", async () => {
    const lost: { err: unknown; rows: number }[] = [];
    const queue = new DecisionQueue(database.db, (err, rows) => lost.push({ err, rows }), {
      batchRows: 4,
      batchMs: 60_000,
      maxQueued: 1000,
    });
    const mine = uuidv7();
    const theirs = uuidv7();
    queue.record(decision(theirs, 'theirs-1'));
    queue.record(decision(mine, 'bad', { policyVersion: 2 ** 31 }));
    queue.record(decision(theirs, 'theirs-2'));
    queue.record(decision(mine, 'good'));
    queue.record(decision(theirs, 'next-batch'));
    await queue.flush();
    expect(lost.map((l) => l.rows)).toEqual([1]);
    const refused = lost[0]?.err as { cause?: unknown } | undefined;
    expect(String(refused?.cause)).toMatch(/out of range/i);
    expect((await stored(mine)).map((r) => r.requestUid)).toEqual(['good']);
    expect((await stored(theirs)).map((r) => r.requestUid)).toEqual(['next-batch', 'theirs-1', 'theirs-2']);
    expect(queue.unwrittenCount).toBe(0);
  });

  it('stores a NUL or a lone surrogate from a review as U+FFFD instead of refusing the batch', async () => {
    const queue = strictQueue({ batchRows: 10, batchMs: 60_000, maxQueued: 1000 });
    const accountId = uuidv7();
    queue.record(
      decision(accountId, 'odd', {
        name: 'web\u0000x',
        message: 'lone \ud800 surrogate',
        images: [{ field: 'containers', container: 'c\u0000', image: 'r/x@sha256:\udc00' }],
      }),
    );
    queue.record(decision(accountId, 'plain'));
    await queue.flush();
    const rows = await stored(accountId);
    expect(rows.map((r) => r.requestUid)).toEqual(['odd', 'plain']);
    expect(rows[0]).toMatchObject({
      name: 'web\ufffdx',
      message: 'lone \ufffd surrogate',
      images: [{ field: 'containers', container: 'c\ufffd', image: 'r/x@sha256:\ufffd' }],
    });
  });
});
