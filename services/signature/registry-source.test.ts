import { describe, expect, it } from 'vitest';
import { LruTtlCache } from './registry-source.js';

describe('registry answer cache', () => {
  it('keeps at most maxEntries, dropping the least recently used, and forgets expired entries', () => {
    let now = 0;
    const cache = new LruTtlCache<string>(2, () => now);
    cache.set('a', 'A', 1000);
    cache.set('b', 'B', 1000);
    expect(cache.get('a')).toBe('A'); // a is now the most recent
    cache.set('c', 'C', 1000);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe('A');
    expect(cache.size).toBe(2);
    now = 1000;
    expect(cache.get('a')).toBeUndefined();
  });
});
