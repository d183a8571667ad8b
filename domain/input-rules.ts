import { z } from 'zod';

/**
 * The input rule the whole API shares (DESIGN §3.8: bad input is a 4xx, never a 500). Postgres cannot store
 * U+0000 in text or jsonb, so a NUL anywhere in a request is refused before a handler runs; names also refuse the
 * other C0 controls and DEL, which break the YAML, e-mails and logs they end up in.
 */

/** Deepest JSON nesting a request body may have: Kubernetes objects need about 15, so 64 leaves room. */
export const MAX_JSON_DEPTH = 64;

/** Postgres `integer` bounds: every integer input stored in such a column is checked against them. */
export const INT32_MIN = -2_147_483_648;
export const INT32_MAX = 2_147_483_647;

export const NUL_MESSAGE = 'must not contain the NUL character (U+0000)';
export const CONTROL_MESSAGE = 'must not contain control characters (U+0000–U+001F, U+007F)';

// eslint-disable-next-line no-control-regex -- control characters are what this matches
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

export const hasNul = (value: string): boolean => value.includes('\u0000');
export const hasControlCharacter = (value: string): boolean => CONTROL_CHARACTERS.test(value);

/** An integer that fits a Postgres `integer` column. */
export const int32 = () => z.number().int().min(INT32_MIN).max(INT32_MAX);

/** The same from a query or path string (`?version=3`). */
export const coercedInt32 = () => z.coerce.number().int().min(INT32_MIN).max(INT32_MAX);

/** Earliest and latest instant a stored timestamp may name: what both Postgres and JavaScript's Date can hold. */
export const EARLIEST_INSTANT_MS = Date.UTC(1970, 0, 1);
export const LATEST_INSTANT_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
export const INSTANT_RANGE_MESSAGE = 'must be between 1970-01-01 and 9999-12-31 (UTC)';

/**
 * An ISO 8601 instant with an offset, inside the range a timestamp column round-trips: "0001-01-01T00:00:00+14:00"
 * is a valid ISO string but 1 BC in Postgres, which JavaScript then reads back as an invalid date.
 */
export const instant = () =>
  z.iso.datetime({ offset: true }).refine((v) => {
    const ms = Date.parse(v);
    return ms >= EARLIEST_INSTANT_MS && ms <= LATEST_INSTANT_MS;
  }, INSTANT_RANGE_MESSAGE);

/** A name a person gives something (asset, cluster, witness, report …): trimmed, 1..max, no control characters. */
export const displayName = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    // eslint-disable-next-line no-control-regex -- control characters are what this matches
    .regex(/^[^\u0000-\u001f\u007f]*$/, CONTROL_MESSAGE);

/** Where in a request a refused value sits, for the error's `details`. */
export interface InputProblem {
  in: 'body' | 'query' | 'path';
  path: string;
  message: string;
}

export interface JsonTextScan {
  /** Nesting went past MAX_JSON_DEPTH (the scan stops there). */
  tooDeep: boolean;
  /** A string (value or key) holds an escaped NUL, `\u0000`. */
  hasNul: boolean;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * One pass over JSON text, before it is parsed: its nesting depth and whether a string carries `\u0000` (the only
 * way JSON can spell a NUL). Parsing a 100,000-deep body succeeds, but everything that walks the value afterwards
 * (validation, logging, serialising) recurses and overflows the stack; so depth is settled on the text.
 *
 * Text without the six characters `\u0000` anywhere holds no NUL, and then the scan jumps from each string's
 * opening quote to its closing one (the next quote after an even run of backslashes) with `indexOf`, looking only
 * at the characters between strings: a 10,000-finding ingest body is ~3 MB, nearly all of it inside strings.
 */
export function scanJsonText(text: string, maxDepth: number = MAX_JSON_DEPTH): JsonTextScan {
  if (text.includes('\\u0000')) return scanEveryCharacter(text, maxDepth);
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === QUOTE) {
      let end = text.indexOf('"', i + 1);
      while (end !== -1 && escaped(text, end)) end = text.indexOf('"', end + 1);
      if (end === -1) break; // an unterminated string runs to the end of the text
      i = end;
    } else if (ch === OPEN_BRACE || ch === OPEN_BRACKET) {
      if (++depth > maxDepth) return { tooDeep: true, hasNul: false };
    } else if (ch === CLOSE_BRACE || ch === CLOSE_BRACKET) depth--;
  }
  return { tooDeep: false, hasNul: false };
}

/** Whether the character at `at` (inside a string) is escaped: an odd run of backslashes comes right before it. */
function escaped(text: string, at: number): boolean {
  let run = 0;
  while (text.charCodeAt(at - 1 - run) === BACKSLASH) run++;
  return run % 2 === 1;
}

/** scanJsonText character by character, for text that may spell a NUL. */
function scanEveryCharacter(text: string, maxDepth: number): JsonTextScan {
  let depth = 0;
  let inString = false;
  let nul = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === BACKSLASH) {
        if (text.startsWith('u0000', i + 1)) nul = true;
        i++; // the escaped character never ends the string
      } else if (ch === QUOTE) inString = false;
      continue;
    }
    if (ch === QUOTE) inString = true;
    else if (ch === OPEN_BRACE || ch === OPEN_BRACKET) {
      if (++depth > maxDepth) return { tooDeep: true, hasNul: nul };
    } else if (ch === CLOSE_BRACE || ch === CLOSE_BRACKET) depth--;
  }
  return { tooDeep: false, hasNul: nul };
}

/** The first string (or object key) holding a NUL in a parsed JSON value, as a dotted path; walked without recursion. */
export function findNul(value: unknown): string | null {
  const stack: { value: unknown; path: string }[] = [{ value, path: '' }];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const { value: v, path } = next;
    if (typeof v === 'string') {
      if (hasNul(v)) return path;
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], path: join(path, String(i)) });
    } else if (typeof v === 'object' && v !== null) {
      const entries = Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i] as [string, unknown];
        if (hasNul(key)) return join(path, key.replaceAll('\u0000', '\\u0000'));
        stack.push({ value: child, path: join(path, key) });
      }
    }
  }
  return null;
}

const join = (path: string, key: string) => (path === '' ? key : `${path}.${key}`);
