import { describe, expect, it } from 'vitest';
import { patternTrigrams, TrigramSample } from './search-trigrams.js';

/** A stored value's trigrams as `show_trgm` gives them: each word lowered, two blanks in front and one behind. */
function valueTrigrams(value: string): string[] {
  const out = new Set<string>();
  for (const w of value
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean)) {
    const padded = `  ${w} `;
    for (let i = 0; i + 3 <= padded.length; i++) out.add(padded.slice(i, i + 3));
  }
  return [...out];
}

const sorted = (a: readonly string[]) => [...a].sort();

/** Deterministic pseudo-random numbers (a sample must not change between runs). */
function numbers(count: number, max: number, seed = 7): number[] {
  let x = seed;
  return Array.from({ length: count }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x % max;
  });
}

describe("pg_trgm's trigrams of ILIKE '%s%'", () => {
  it('pads a word except where a wildcard meets it, and lowers it', () => {
    expect(sorted(patternTrigrams('Host-424'))).toEqual(sorted(['hos', 'ost', 'st ', '  4', ' 42', '424']));
    expect(sorted(patternTrigrams('t-424'))).toEqual(sorted(['  4', ' 42', '424']));
    expect(sorted(patternTrigrams('10.0.16.146'))).toEqual(
      sorted(['10 ', '  0', ' 0 ', '  1', ' 16', '16 ', ' 14', '146']),
    );
  });

  it('gives none for a word of two characters or fewer between wildcards; escaped wildcards separate words', () => {
    expect(patternTrigrams('ab')).toEqual([]);
    expect(patternTrigrams('a-b')).toEqual(['  b']);
    expect(sorted(patternTrigrams('ab%cd'))).toEqual(sorted(['ab ', '  c', ' cd']));
    expect(sorted(patternTrigrams('web_01'))).toEqual(sorted(['web', 'eb ', '  0', ' 01']));
  });
});

describe('the substring a trigram index is asked for', () => {
  const hostnames = new TrigramSample(
    numbers(3000, 100_000).map((n) => valueTrigrams(`host-${n}.bench.internal`)),
  );
  const ips = new TrigramSample(
    numbers(3000, 100_000, 11).map((i) =>
      valueTrigrams(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`),
    ),
  );

  it('leaves out the trigrams every row holds and keeps the selective ones', () => {
    const picked = hostnames.pick('host-424');
    expect('host-424').toContain(picked);
    const trigrams = patternTrigrams(picked);
    for (const everywhere of ['hos', 'ost', 'st ']) expect(trigrams).not.toContain(everywhere);
    expect(trigrams).toEqual(expect.arrayContaining(['424', ' 42']));
    expect(hostnames.cost(picked)).toBeLessThan(hostnames.cost('host-424') / 2);
  });

  it('keeps enough trigrams that few rows are left to test, even with one that is common', () => {
    // "146" alone is in ~1 % of IPs; with the words before it, in almost none.
    const picked = ips.pick('10.0.16.146');
    expect('10.0.16.146').toContain(picked);
    expect(picked).not.toBe('146');
    expect(patternTrigrams(picked)).toEqual(expect.arrayContaining(['16 ', '146']));
    expect(patternTrigrams(picked)).not.toContain('10 ');
    expect(ips.cost(picked)).toBeLessThan(ips.cost('146'));
  });

  it('is always a substring with trigrams, or the search itself', () => {
    const searches = [
      'h',
      'ho',
      'host',
      'host-4',
      '4',
      '.internal',
      'x-1',
      'a-b-c',
      'zz',
      'ab%cd',
      'Ünïcode-42',
      '  ',
    ];
    for (const search of searches) {
      const picked = hostnames.pick(search);
      expect(search).toContain(picked);
      if (picked !== search) expect(patternTrigrams(picked).length).toBeGreaterThan(0);
    }
    expect(hostnames.pick('ab')).toBe('ab');
  });

  it('asks for the search itself when the sample is empty or the search is long', () => {
    expect(new TrigramSample([]).pick('host-424')).toBe('host-424');
    const long = `host-424${'x'.repeat(80)}`;
    expect(hostnames.pick(long)).toBe(long);
  });
});
