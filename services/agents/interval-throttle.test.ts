import { describe, expect, it } from 'vitest';
import { IntervalThrottle } from './interval-throttle.js';

describe('IntervalThrottle', () => {
  it('lets one pass per key and interval', () => {
    const t = new IntervalThrottle(1_000);
    expect(t.pass('a', 0)).toBe(true);
    expect(t.pass('a', 999)).toBe(false);
    expect(t.pass('b', 999)).toBe(true);
    expect(t.pass('a', 1_000)).toBe(true);
  });

  it('holds only the keys active within one interval, however many keys it has seen', () => {
    const t = new IntervalThrottle(1_000, 100);
    // 10,000 assets heartbeating over 100 s, 100 a second.
    for (let i = 0; i < 10_000; i++) expect(t.pass(`asset-${i}`, i * 10)).toBe(true);
    expect(t.size).toBeLessThanOrEqual(200);
    // Dropping old keys does not reopen recent ones.
    expect(t.pass('asset-9999', 99_995)).toBe(false);
  });
});
