import { describe, expect, it } from 'vitest';
import { displayName, findNul, instant, MAX_JSON_DEPTH, scanJsonText } from './input-rules.js';

describe('scanJsonText', () => {
  it('counts nesting outside strings only', () => {
    expect(scanJsonText(`{"a":"${'['.repeat(MAX_JSON_DEPTH * 2)}"}`).tooDeep).toBe(false);
    expect(scanJsonText('['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH)).tooDeep).toBe(false);
    expect(scanJsonText('['.repeat(MAX_JSON_DEPTH + 1)).tooDeep).toBe(true);
    // An escaped quote does not end the string, so the brackets after it are still text.
    expect(scanJsonText(`["\\"${'{'.repeat(MAX_JSON_DEPTH * 2)}"]`).tooDeep).toBe(false);
  });

  it('ends a string at a quote after an even run of backslashes, not after an odd one', () => {
    const deep = '['.repeat(MAX_JSON_DEPTH);
    expect(scanJsonText(`["a\\\\",${deep}`).tooDeep).toBe(true);
    expect(scanJsonText(`["a\\\\\\\\",${deep}`).tooDeep).toBe(true);
    expect(scanJsonText(`["a\\\\\\",${deep}`).tooDeep).toBe(false);
    expect(scanJsonText(`["a\\\\\\\\\\",${deep}`).tooDeep).toBe(false);
    expect(scanJsonText(`["unterminated ${deep}`).tooDeep).toBe(false);
  });

  it('answers as a scan of every character does, on texts made of quotes, backslashes and brackets', () => {
    const reference = (text: string) => {
      let depth = 0;
      let inString = false;
      for (let i = 0; i < text.length; i++) {
        const ch = text[i];
        if (inString) {
          if (ch === '\\') i++;
          else if (ch === '"') inString = false;
        } else if (ch === '"') inString = true;
        else if (ch === '[' || ch === '{') {
          if (++depth > 2) return true;
        } else if (ch === ']' || ch === '}') depth--;
      }
      return false;
    };
    const alphabet = ['"', '\\', '[', '{', ']', '}', 'a', ','];
    let x = 7;
    for (let n = 0; n < 20_000; n++) {
      let text = '';
      for (let k = 0; k < 1 + (n % 40); k++) {
        x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
        text += alphabet[(x >>> 16) % alphabet.length] ?? '';
      }
      expect(scanJsonText(text, 2).tooDeep, text).toBe(reference(text));
    }
  });

  it('finds an escaped NUL but not an escaped backslash followed by u0000', () => {
    expect(scanJsonText('{"a":"x\\u0000"}').hasNul).toBe(true);
    expect(scanJsonText('{"a\\u0000":1}').hasNul).toBe(true);
    expect(scanJsonText('{"a":"x\\\\u0000"}').hasNul).toBe(false);
    expect(scanJsonText('{"a":"\\\\\\u0000"}').hasNul).toBe(true);
  });
});

describe('findNul', () => {
  it('names the first string or key holding a NUL, however deep', () => {
    expect(findNul({ a: [{ b: 'ok' }, { c: 'x\u0000' }] })).toBe('a.1.c');
    expect(findNul({ a: { 'k\u0000': 1 } })).toBe('a.k\\u0000');
    expect(findNul({ a: ['fine', 1, null, true] })).toBeNull();
  });
});

describe('displayName', () => {
  it('refuses control characters and accepts the rest of Unicode', () => {
    const name = displayName(100);
    expect(name.safeParse('生产集群 prod-01 ✓').success).toBe(true);
    expect(name.safeParse('  padded  ').data).toBe('padded');
    for (const bad of ['a\nb', 'a\tb', 'a\u0000b', 'a\u007fb', 'a\u001bb'])
      expect(name.safeParse(bad).success).toBe(false);
  });
});

describe('instant', () => {
  it('takes instants a timestamp column round-trips and refuses those before 1970 (1 BC in Postgres)', () => {
    expect(instant().safeParse('2026-12-06T10:00:00Z').success).toBe(true);
    expect(instant().safeParse('2026-12-06T10:00:00+08:00').success).toBe(true);
    expect(instant().safeParse('9999-12-31T23:59:59Z').success).toBe(true);
    expect(instant().safeParse('0001-01-01T00:00:00+14:00').success).toBe(false);
    expect(instant().safeParse('0000-01-01T00:00:00Z').success).toBe(false);
    expect(instant().safeParse('1969-12-31T23:59:59Z').success).toBe(false);
    expect(instant().safeParse('2026-02-30T00:00:00Z').success).toBe(false);
  });
});
