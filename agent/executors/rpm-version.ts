/**
 * rpm's version comparison (rpmvercmp) for `[epoch:]version[-release]`: digit runs compare numerically, letter
 * runs lexically, digits beat letters, `~` sorts before anything (pre-releases). Returns -1, 0 or 1.
 */
export function compareRpmVersions(a: string, b: string): number {
  const [ea, va] = splitEpoch(a);
  const [eb, vb] = splitEpoch(b);
  if (ea !== eb) return ea < eb ? -1 : 1;
  const [verA, relA] = splitRelease(va);
  const [verB, relB] = splitRelease(vb);
  return rpmvercmp(verA, verB) || rpmvercmp(relA, relB);
}

/** `version-release`: the release follows the last dash and only breaks ties between equal versions. */
function splitRelease(v: string): [string, string] {
  const i = v.lastIndexOf('-');
  return i < 0 ? [v, ''] : [v.slice(0, i), v.slice(i + 1)];
}

function splitEpoch(v: string): [number, string] {
  const m = /^(\d+):(.*)$/.exec(v);
  return m ? [Number(m[1]), m[2] ?? ''] : [0, v];
}

function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  const seg = /~|\d+|[A-Za-z]+/g;
  const sa = a.match(seg) ?? [];
  const sb = b.match(seg) ?? [];
  for (let i = 0; i < Math.max(sa.length, sb.length); i++) {
    const x = sa[i];
    const y = sb[i];
    if (x === '~' || y === '~') {
      if (x !== y) return x === '~' ? -1 : 1;
      continue;
    }
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const xNum = /^\d/.test(x);
    const yNum = /^\d/.test(y);
    if (xNum !== yNum) return xNum ? 1 : -1;
    const c = xNum ? compareNumeric(x, y) : x < y ? -1 : x > y ? 1 : 0;
    if (c !== 0) return c;
  }
  return 0;
}

function compareNumeric(x: string, y: string): number {
  const a = x.replace(/^0+/, '');
  const b = y.replace(/^0+/, '');
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
