import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { compareDpkgVersions, compareRpmVersions, stillVulnerable } from './package-versions.js';

/** [a, b, expected sign] — observed with dpkg 1.21 (research notes, hosts-and-supply-chain §1) and more. */
const DPKG_CASES: [string, string, number][] = [
  ['1.0~rc1', '1.0', -1],
  ['1.0~~', '1.0~', -1],
  ['1.0~', '1.0', -1],
  ['1.0', '1.0+b1', -1],
  ['1.0', '1.0a', -1],
  ['1.0a', '1.0+', -1],
  ['1.0+', '1.0.', -1],
  ['1.0.1', '1.0a', 1],
  ['1:0.9', '2.0', 1],
  ['0:1.0', '1.0', 0],
  ['1.0', '1.0-0', 0],
  ['1.01', '1.1', 0],
  ['2.30-1', '2.4-1', 1],
  ['1.0-1.1', '1.0-1+b1', 1],
  ['1.2.3-1~bpo12+1', '1.2.3-1', -1],
  ['1:9.6p1-3', '1:9.6p1-1', 1],
  ['3.0.11-1~deb12u2', '3.0.11-1~deb12u1', 1],
  ['3.0.11-1~deb12u2', '3.0.11-1', -1],
  ['1.0-2', '1.0-10', -1],
  ['1.0-a', '1.0-1', 1],
  ['2:1.0', '10:0.1', -1],
  ['1.2-3-4', '1.2-3-5', -1],
  ['7.88.1-10+deb12u5', '7.88.1-10+deb12u12', -1],
  ['1.0', '1.0', 0],
];

/** [a, b, expected] — observed with rpm 4.18's rpm.vercmp (research notes §3) and more, carets included. */
const RPM_CASES: [string, string, number][] = [
  ['6.0.rc1', '6.0', 1],
  ['5.5p10', '5.5p2', 1],
  ['1:1.0-1', '2.0-1', 1],
  ['1.0', '1.0a', -1],
  ['1.0~rc1', '1.0', -1],
  ['1.0^git1', '1.01', -1],
  ['1.0^git1', '1.0', 1],
  ['1.0^', '1.0', 1],
  ['1.0^git1', '1.0^git2', -1],
  ['1.0~rc1^git1', '1.0~rc1', 1],
  ['1.0~rc1^git1', '1.0', -1],
  ['xyz.4', '8', -1],
  ['1.el9', '1.el9_2', -1],
  ['10.0001', '10.1', 0],
  ['a+', 'a_', 0],
  ['0:1.0-1', '1.0-1', 0],
  ['1.0', '1.0-1', -1],
  ['2_0', '2.0', 0],
  ['1.0-2', '1.0-10', -1],
  ['3.0.7-24.el9', '3.0.7-24.el9', 0],
  ['1.2.3-1.el9', '1.2.10-1.el9', -1],
  ['1.0a', '1.0.1', -1],
];

const hasTool = (cmd: string, args: string[]) => spawnSync(cmd, args).status === 0;
const dpkgPresent = hasTool('dpkg', ['--version']);
const rpmPresent = hasTool('rpm', ['--version']);

function dpkgSays(a: string, b: string): number {
  const lt = spawnSync('dpkg', ['--compare-versions', a, 'lt', b]).status === 0;
  const gt = spawnSync('dpkg', ['--compare-versions', a, 'gt', b]).status === 0;
  return lt ? -1 : gt ? 1 : 0;
}

function rpmSays(cases: [string, string, number][]): number[] {
  // One rpm process for the whole table: rpm.vercmp in embedded Lua (whose print adds no newline), comma-separated.
  const lua = cases
    .map(([a, b]) => `print(rpm.vercmp(${JSON.stringify(a)}, ${JSON.stringify(b)}) .. ",")`)
    .join(' ');
  const out = execFileSync('rpm', ['--eval', `%{lua: ${lua}}`], { encoding: 'utf8' });
  return out
    .trim()
    .split(',')
    .filter((l) => l !== '')
    .map((l) => Math.sign(Number(l)));
}

describe('dpkg version order', () => {
  it.each(DPKG_CASES)('%s vs %s → %i', (a, b, want) => {
    expect(compareDpkgVersions(a, b)).toBe(want);
    expect(compareDpkgVersions(b, a)).toBe(want === 0 ? 0 : -want);
  });

  it.skipIf(!dpkgPresent)('agrees with dpkg --compare-versions on every case', () => {
    for (const [a, b] of DPKG_CASES)
      expect([a, b, compareDpkgVersions(a, b)]).toEqual([a, b, dpkgSays(a, b)]);
  });

  it('refuses an epoch that is not a number', () => {
    expect(() => compareDpkgVersions('x:1.0', '1.0')).toThrow(/epoch/);
  });
});

describe('rpm version order', () => {
  it.each(RPM_CASES)('%s vs %s → %i', (a, b, want) => {
    expect(compareRpmVersions(a, b)).toBe(want);
    expect(compareRpmVersions(b, a)).toBe(want === 0 ? 0 : -want);
  });

  it.skipIf(!rpmPresent)('agrees with rpm.vercmp on every case', () => {
    const said = rpmSays(RPM_CASES);
    RPM_CASES.forEach(([a, b], i) => expect([a, b, compareRpmVersions(a, b)]).toEqual([a, b, said[i]]));
  });
});

describe('still vulnerable', () => {
  it('is true only below the fixed version, in the format’s own order', () => {
    expect(stillVulnerable('deb', '1.0~rc1', '1.0')).toBe(true);
    expect(stillVulnerable('deb', '1.0', '1.0')).toBe(false);
    expect(stillVulnerable('deb', '1.0+b1', '1.0')).toBe(false);
    // rpm treats every separator alike; dpkg orders them by ASCII ('.' before '_').
    expect(stillVulnerable('rpm', '1.0.1', '1.0_1')).toBe(false);
    expect(stillVulnerable('deb', '1.0.1', '1.0_1')).toBe(true);
  });
});
