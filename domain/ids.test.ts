import { describe, expect, it } from 'vitest';
import { isUuid, uuidv7 } from './ids.js';

describe('uuidv7', () => {
  it('carries the millisecond time, version 7 and variant 10, and sorts by time', () => {
    const at = Date.UTC(2026, 10, 29, 3, 46, 12, 345);
    const id = uuidv7(at);
    expect(isUuid(id)).toBe(true);
    expect(id[14]).toBe('7');
    expect(['8', '9', 'a', 'b']).toContain(id[19]);
    expect(Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(at);
    const ids = Array.from({ length: 2000 }, (_, i) => uuidv7(at + i));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(Array.from({ length: 5000 }, () => uuidv7(at))).size).toBe(5000);
    expect(uuidv7(0)).toMatch(/^00000000-0000-7/);
    expect(uuidv7(2 ** 48 - 1)).toMatch(/^ffffffff-ffff-7/);
  });
});
