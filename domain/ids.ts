const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
/** Random bytes drawn from the CSPRNG 4 KiB at a time (ten per id) rather than one call per id. */
const pool = new Uint8Array(4096);
let poolUsed = pool.length;

/**
 * UUID version 7 (RFC 9562): time-ordered, so ordering by id is ordering by creation and cursor pagination on the
 * id alone is stable. 48-bit Unix milliseconds, version 7, 12 random bits, variant 10, 62 random bits. Built from a
 * byte → hex table: API requests and admission decisions each take one.
 */
export function uuidv7(now: number = Date.now()): string {
  if (poolUsed + 10 > pool.length) {
    crypto.getRandomValues(pool);
    poolUsed = 0;
  }
  const r = poolUsed;
  poolUsed += 10;
  const byte = (i: number) => pool[r + i] ?? 0;
  const hi = Math.floor(now / 0x10000); // the top 32 of the 48 time bits
  const lo = now - hi * 0x10000;
  return (
    `${HEX[(hi >>> 24) & 0xff]}${HEX[(hi >>> 16) & 0xff]}${HEX[(hi >>> 8) & 0xff]}${HEX[hi & 0xff]}-` +
    `${HEX[lo >>> 8]}${HEX[lo & 0xff]}-${HEX[(byte(0) & 0x0f) | 0x70]}${HEX[byte(1)]}-` +
    `${HEX[(byte(2) & 0x3f) | 0x80]}${HEX[byte(3)]}-` +
    `${HEX[byte(4)]}${HEX[byte(5)]}${HEX[byte(6)]}${HEX[byte(7)]}${HEX[byte(8)]}${HEX[byte(9)]}`
  );
}

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}
