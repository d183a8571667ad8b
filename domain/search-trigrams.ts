/**
 * Which part of a search string a substring search asks a trigram index for.
 *
 * `col ILIKE '%host-424%'` on a pg_trgm GIN index looks up every trigram pg_trgm extracts from the pattern ("hos",
 * "ost", "st ", "  4", " 42", "424") and keeps the rows that hold all of them. A trigram that nearly every row holds
 * ("hos" in a fleet named host-1 … host-99999) filters nothing, yet the index pays for it once per candidate of the
 * rarest trigram (a descent of its posting tree): at 100,000 assets the hostname scan above took 3.3 ms, of which
 * the three fleet-wide trigrams were most. Any substring of the search is also contained in every row that contains
 * the search, so the index may be asked for a substring whose trigrams are selective (`t-424`: "  4", " 42", "424",
 * 4.2× the throughput) as long as the statement tests the whole search on the candidates as well (not as an index
 * condition). Which substring is cheapest depends on the data; `TrigramSample` estimates it from the trigrams of a
 * sample of the column's rows.
 */

/** pg_trgm's word characters (`ISWORDCHR`: alphanumeric in the database's locale; ASCII decides in practice). */
const WORD_CHAR = /[\p{L}\p{N}]/u;

/**
 * The trigrams pg_trgm's GIN support extracts from `ILIKE '%s%'` with `s` escaped as `likePattern` escapes it
 * (`generate_wildcard_trgm` in trgm_op.c): `s` split into runs of word characters, lowered; a run padded in front
 * unless it starts `s` (a wildcard precedes it) and behind unless it ends `s`; runs of fewer than three characters
 * after padding give none. An escaped `%`, `_` or `\` is a non-word character like any other separator.
 */
export function patternTrigrams(s: string): string[] {
  const chars = Array.from(s.toLowerCase());
  return [...trigramsOf(chars, chars.map(isWordChar), 0, chars.length)];
}

const isWordChar = (c: string) => WORD_CHAR.test(c);

/** `patternTrigrams` of `chars[from, to)`, with the characters lowered and classified once by the caller. */
function trigramsOf(
  chars: readonly string[],
  word: readonly boolean[],
  from: number,
  to: number,
): Set<string> {
  const out = new Set<string>();
  let i = from;
  while (i < to) {
    if (!word[i]) {
      i++;
      continue;
    }
    let j = i;
    while (j < to && word[j]) j++;
    const padded = [...(i > from ? [' ', ' '] : []), ...chars.slice(i, j), ...(j < to ? [' '] : [])];
    for (let k = 0; k + 3 <= padded.length; k++) out.add(`${padded[k]}${padded[k + 1]}${padded[k + 2]}`);
    i = j;
  }
  return out;
}

/**
 * Cost of a candidate substring, in rows of the table (as a share of them; the choice does not depend on the table's
 * size): the index descends each looked-up trigram's posting tree once per candidate of the rarest one (a trigram
 * with a short posting list is read whole instead, at `ITEM_COST` of a candidate per row it lists), and each row the
 * index returns is fetched and tested against the whole search (`ROW_COST` per row). Measured on 100,000 bench
 * assets with pgbench at concurrency 16: hostnames containing "host-424" 534 searches/s asking for the whole string,
 * 2,251 for "t-424", 1,342 for "424" alone (299 candidates to test instead of 222); an IP "10.0.16.146" 429/s whole,
 * 1,253 for "16.146", 398 for "146" (646 candidates).
 */
const ITEM_COST = 0.02;
const ROW_COST = 6;
/** Searches longer than this are asked for whole (no user types one; the choice would cost more than it saves). */
const MAX_PICK_CHARS = 64;
/**
 * Substrings longer than this are not candidates (the search itself always is): the cheapest is a few characters
 * around its rarest trigrams, and the candidates, one per start and length, would otherwise grow with the square of
 * the search's length.
 */
const MAX_SUBSTRING_CHARS = 12;
/** Picks remembered per sample (searches repeat: a page after the first, the same fleet searched again). */
const MEMO_SIZE = 512;

const isAscii = (t: string) => !/[^ -~]/.test(t);

const popcount = (v: number) => {
  let x = v - ((v >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
};

/** The sample rows holding one trigram: as a list (ascending) and as a bitset. */
interface Holders {
  rows: number[];
  bits: Uint32Array;
}

/**
 * The trigrams of a sample of a column's rows (as `show_trgm` gives them): enough to estimate what share of the
 * table's rows hold a trigram, and what share hold all of a set of them, without asking the database.
 */
export class TrigramSample {
  private readonly holders = new Map<string, Holders>();
  private readonly words: number;
  private readonly memo = new Map<string, string>();
  readonly size: number;

  /** @param sampleRows the trigrams of each sampled row (`show_trgm(col)`) */
  constructor(sampleRows: readonly (readonly string[])[]) {
    this.size = sampleRows.length;
    this.words = Math.ceil(this.size / 32);
    sampleRows.forEach((trigrams, row) => {
      for (const t of trigrams) {
        let h = this.holders.get(t);
        if (!h) {
          h = { rows: [], bits: new Uint32Array(this.words) };
          this.holders.set(t, h);
        }
        const word = row >>> 5;
        const bit = 1 << (row & 31);
        if (((h.bits[word] ?? 0) & bit) === 0) {
          h.bits[word] = (h.bits[word] ?? 0) | bit;
          h.rows.push(row);
        }
      }
    });
  }

  /**
   * The substring of `search` whose trigrams the index answers most cheaply (`search` itself when the sample is
   * empty, the search too long, or nothing cheaper found). Every row containing `search` contains it, so a statement
   * that asks the index for it and tests `search` itself on the candidates returns exactly the rows containing
   * `search`. Never a substring without trigrams (the index would have to read everything).
   */
  pick(search: string): string {
    if (this.size === 0 || search.length > MAX_PICK_CHARS) return search;
    const known = this.memo.get(search);
    if (known !== undefined) return known;
    const picked = this.cheapest(search);
    if (this.memo.size >= MEMO_SIZE) this.memo.clear();
    this.memo.set(search, picked);
    return picked;
  }

  /** Estimated cost of asking the index for `substring` (Infinity when it has no trigrams). */
  cost(substring: string): number {
    const c = this.measure(patternTrigrams(substring));
    return c ? c.bound + this.rowsCost(c.trigrams) : Number.POSITIVE_INFINITY;
  }

  private cheapest(search: string): string {
    const chars = Array.from(search);
    const lowered = Array.from(search.toLowerCase());
    // Lowering changes no character's length in the scripts a hostname uses; where it would, ask for the search whole.
    if (lowered.length !== chars.length) return search;
    const word = lowered.map(isWordChar);
    const candidates: { text: string; trigrams: string[]; bound: number }[] = [];
    const consider = (i: number, j: number) => {
      const c = this.measure([...trigramsOf(lowered, word, i, j)]);
      if (c) candidates.push({ text: chars.slice(i, j).join(''), ...c });
    };
    consider(0, chars.length);
    for (let i = 0; i < chars.length; i++) {
      for (let j = Math.min(chars.length, i + MAX_SUBSTRING_CHARS); j > i; j--) {
        if (i > 0 || j < chars.length) consider(i, j);
      }
    }
    if (candidates.length === 0) return search;
    // Cheapest index part first; the rows part (an intersection in the sample) only while it can still win.
    candidates.sort((a, b) => a.bound - b.bound || b.text.length - a.text.length);
    let best = { text: search, cost: Number.POSITIVE_INFINITY };
    const minRows = (ROW_COST * 0.5) / this.size;
    for (const c of candidates) {
      if (c.bound + minRows >= best.cost) break;
      const cost = c.bound + this.rowsCost(c.trigrams);
      if (cost < best.cost || (cost === best.cost && c.text.length > best.text.length))
        best = { text: c.text, cost };
    }
    return best.text;
  }

  /** A substring's trigrams and the index part of its cost; undefined when it has no trigrams. */
  private measure(trigrams: string[]): { trigrams: string[]; bound: number } | undefined {
    if (trigrams.length === 0) return undefined;
    const freq = trigrams.map((t) => this.share(t));
    const rarest = Math.min(...freq);
    const bound = freq.reduce((sum, f) => sum + Math.min(ITEM_COST * f, rarest), 0);
    return { trigrams, bound };
  }

  /**
   * Share of rows holding a trigram: from the sample; one not seen in it, half a sample row's worth; one with a
   * character outside ASCII, every row (`show_trgm` shows such a trigram as a hash, so the sample cannot tell).
   */
  private share(t: string): number {
    if (!isAscii(t)) return 1;
    return Math.max(this.holders.get(t)?.rows.length ?? 0, 0.5) / this.size;
  }

  /** `ROW_COST` per row estimated to hold every trigram (the share of sample rows holding all of them). */
  private rowsCost(trigrams: readonly string[]): number {
    const lists: Holders[] = [];
    for (const t of trigrams) {
      if (!isAscii(t)) continue;
      const h = this.holders.get(t);
      if (!h) return (ROW_COST * 0.5) / this.size;
      lists.push(h);
    }
    lists.sort((a, b) => a.rows.length - b.rows.length);
    const [shortest, ...rest] = lists;
    let holding = this.size;
    if (shortest && shortest.rows.length <= this.words) {
      // Few rows: test each against the other trigrams' bitsets.
      holding = 0;
      for (const row of shortest.rows) {
        const word = row >>> 5;
        const bit = 1 << (row & 31);
        if (rest.every((l) => ((l.bits[word] ?? 0) & bit) !== 0)) holding++;
      }
    } else if (shortest) {
      holding = 0;
      for (let w = 0; w < this.words; w++) {
        let v = shortest.bits[w] ?? 0;
        for (const l of rest) v &= l.bits[w] ?? 0;
        holding += popcount(v);
      }
    }
    return (ROW_COST * Math.max(holding, 0.5)) / this.size;
  }
}
