import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { applyMergePatch, mergePatchSchema } from './json-merge-patch.js';

describe('JSON Merge Patch (RFC 7396)', () => {
  // RFC 7396 Appendix A, every example.
  const cases: [unknown, unknown, unknown][] = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [
      ['a', 'b'],
      ['c', 'd'],
      ['c', 'd'],
    ],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  it.each(cases)('%j patched with %j is %j', (target, patch, result) => {
    expect(applyMergePatch(target, patch)).toEqual(result);
  });

  it('does not change the target', () => {
    const target = { a: { b: 1 } };
    applyMergePatch(target, { a: { b: 2 } });
    expect(target).toEqual({ a: { b: 1 } });
  });

  it('a patch schema keeps member rules but no defaults, and takes null', () => {
    const s = mergePatchSchema(
      z.strictObject({
        n: z.number().int().min(1).default(3),
        o: z
          .strictObject({ x: z.boolean().default(false), y: z.number().default(1) })
          .default({ x: false, y: 1 }),
      }),
    );
    expect(s.parse({})).toEqual({});
    expect(s.parse({ n: null, o: { y: 2 } })).toEqual({ n: null, o: { y: 2 } });
    expect(s.safeParse({ n: 0 }).success).toBe(false);
    expect(s.safeParse({ o: { z: 1 } }).success).toBe(false);
    expect(s.safeParse({ other: 1 }).success).toBe(false);
  });
});
