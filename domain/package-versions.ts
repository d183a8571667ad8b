/**
 * The distributions' own version orderings (DESIGN §5 truth rule: a vulnerability is fixed only when the installed
 * version is at or above the fixed version in the package manager's ordering). Written from dpkg's `verrevcmp`
 * (lib/dpkg/version.c) and rpm's `rpmvercmp` (rpmio/rpmvercmp.c); the tests compare both with the real tools.
 */

export type PackageFormat = 'deb' | 'rpm';

/** Splits `[epoch:]rest`; a missing epoch is 0. Throws on an epoch that is not a whole number. */
function splitEpoch(v: string): [number, string] {
  const colon = v.indexOf(':');
  if (colon < 0) return [0, v];
  const epoch = v.slice(0, colon);
  if (!/^\d+$/.test(epoch)) throw new Error(`version "${v}" has an epoch that is not a number`);
  return [Number(epoch), v.slice(colon + 1)];
}

/** `upstream-revision`: the revision (release) follows the last hyphen; without one it is empty. */
function splitRevision(v: string): [string, string] {
  const dash = v.lastIndexOf('-');
  return dash < 0 ? [v, ''] : [v.slice(0, dash), v.slice(dash + 1)];
}

const isDigit = (c: string) => c >= '0' && c <= '9';
const isAlpha = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

/** dpkg's weight of a character in a non-digit run: `~` before the end, the end, letters, then everything else. */
function dpkgOrder(c: string): number {
  if (c === '' || isDigit(c)) return 0;
  if (isAlpha(c)) return c.charCodeAt(0);
  if (c === '~') return -1;
  return c.charCodeAt(0) + 256;
}

function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  const at = (s: string, k: number) => (k < s.length ? s.charAt(k) : '');
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigit(at(a, i))) || (j < b.length && !isDigit(at(b, j)))) {
      const ac = dpkgOrder(at(a, i));
      const bc = dpkgOrder(at(b, j));
      if (ac !== bc) return Math.sign(ac - bc);
      i++;
      j++;
    }
    while (at(a, i) === '0') i++;
    while (at(b, j) === '0') j++;
    let firstDiff = 0;
    while (isDigit(at(a, i)) && isDigit(at(b, j))) {
      if (firstDiff === 0) firstDiff = at(a, i).charCodeAt(0) - at(b, j).charCodeAt(0);
      i++;
      j++;
    }
    if (isDigit(at(a, i))) return 1;
    if (isDigit(at(b, j))) return -1;
    if (firstDiff !== 0) return Math.sign(firstDiff);
  }
  return 0;
}

/** dpkg's order of `[epoch:]upstream[-revision]` (deb-version(7)): -1, 0 or 1, like `dpkg --compare-versions`. */
export function compareDpkgVersions(a: string, b: string): number {
  const [ea, ra] = splitEpoch(a.trim());
  const [eb, rb] = splitEpoch(b.trim());
  if (ea !== eb) return ea < eb ? -1 : 1;
  const [ua, va] = splitRevision(ra);
  const [ub, vb] = splitRevision(rb);
  return verrevcmp(ua, ub) || verrevcmp(va, vb);
}

/** rpm's `rpmvercmp` of one version or release string: alphanumeric runs, `~` lowest, `^` just above the end. */
function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  const at = (s: string, k: number) => (k < s.length ? s.charAt(k) : '');
  const separator = (c: string) => c !== '' && !isDigit(c) && !isAlpha(c) && c !== '~' && c !== '^';
  while (i < a.length || j < b.length) {
    while (separator(at(a, i))) i++;
    while (separator(at(b, j))) j++;
    const x = at(a, i);
    const y = at(b, j);
    if (x === '~' || y === '~') {
      if (x !== '~') return 1;
      if (y !== '~') return -1;
      i++;
      j++;
      continue;
    }
    if (x === '^' || y === '^') {
      if (x === '') return -1;
      if (y === '') return 1;
      if (x !== '^') return 1;
      if (y !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (x === '' || y === '') break;
    const numeric = isDigit(x);
    const inRun = numeric ? isDigit : isAlpha;
    let ei = i;
    let ej = j;
    while (inRun(at(a, ei))) ei++;
    while (inRun(at(b, ej))) ej++;
    // A numeric segment is newer than an alphabetic one.
    if (ej === j) return numeric ? 1 : -1;
    let sa = a.slice(i, ei);
    let sb = b.slice(j, ej);
    if (numeric) {
      sa = sa.replace(/^0+/, '');
      sb = sb.replace(/^0+/, '');
      if (sa.length !== sb.length) return sa.length > sb.length ? 1 : -1;
    }
    if (sa !== sb) return sa < sb ? -1 : 1;
    i = ei;
    j = ej;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

/** rpm's order of `[epoch:]version[-release]` (rpm.vercmp): -1, 0 or 1. */
export function compareRpmVersions(a: string, b: string): number {
  const [ea, ra] = splitEpoch(a.trim());
  const [eb, rb] = splitEpoch(b.trim());
  if (ea !== eb) return ea < eb ? -1 : 1;
  const [va, rela] = splitRevision(ra);
  const [vb, relb] = splitRevision(rb);
  return rpmvercmp(va, vb) || rpmvercmp(rela, relb);
}

/** The ordering of a package format. */
export function compareVersions(format: PackageFormat, a: string, b: string): number {
  return format === 'deb' ? compareDpkgVersions(a, b) : compareRpmVersions(a, b);
}

/** True when `installed` is below `fixed`: the host is still vulnerable. */
export function stillVulnerable(format: PackageFormat, installed: string, fixed: string): boolean {
  return compareVersions(format, installed, fixed) < 0;
}
