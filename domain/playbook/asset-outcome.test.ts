import { describe, expect, it } from 'vitest';
import {
  applyVerification,
  assetOutcome,
  dryRunLine,
  hostError,
  serverPrecheck,
  verificationVerdict,
} from './asset-outcome.js';

const vuln = (id: string, type = 'linux') => ({
  vulnerabilityId: id,
  name: `CVE-${id}`,
  type,
  packageName: `pkg-${id}`,
});
const clean = {
  fixErrors: [],
  verifyError: null,
  rebootError: null,
  rebootRequired: false,
  reboot: 'ifRequired' as const,
  dryRuns: [],
};

describe('serverPrecheck', () => {
  it('skips an asset whose agent can fix none of its vulnerabilities, naming the types', () => {
    const r = serverPrecheck({
      agentOnline: false,
      vulnerabilities: [],
      unsupported: [vuln('1', 'windows'), vuln('2', 'webcms'), vuln('3', 'windows')],
    });
    expect(r).toEqual({
      shown: 'unsupported on this host (windows, webcms)',
      verdict: { status: 'Skipped', reason: 'unsupported on this host: windows, webcms' },
      failed: [],
    });
  });

  it('fails an offline asset with every vulnerability it has', () => {
    const r = serverPrecheck({
      agentOnline: false,
      vulnerabilities: [vuln('1'), vuln('2')],
      unsupported: [],
    });
    expect(r?.verdict).toEqual({ status: 'Failed', reason: 'precheck: the asset’s agent is offline' });
    expect(r?.failed).toEqual(['1', '2']);
  });

  it('succeeds an asset with nothing left to fix, and goes on when there is something', () => {
    expect(serverPrecheck({ agentOnline: true, vulnerabilities: [], unsupported: [] })?.verdict).toEqual({
      status: 'Succeeded',
      reason: 'no selected vulnerability is still present',
    });
    expect(serverPrecheck({ agentOnline: true, vulnerabilities: [vuln('1')], unsupported: [] })).toBeNull();
  });
});

describe('applyVerification (the truth rule)', () => {
  const verified = [
    { vulnerabilityId: 'a', name: 'CVE-a' },
    { vulnerabilityId: 'b', name: 'CVE-b' },
  ];

  it('only what the scan still finds (by id or name) stays open; the other fixes are verified', () => {
    const r = applyVerification({
      fixed: ['a', 'b'],
      failed: ['x'],
      verified,
      scan: { ok: false, result: { details: { stillPresent: ['CVE-b'] } }, error: 'still finds CVE-b' },
    });
    expect(r).toEqual({ fixed: ['a'], failed: ['x', 'b'], verifyError: 'still finds CVE-b' });
  });

  it('a scan that failed without naming anything verifies no fix', () => {
    const r = applyVerification({
      fixed: ['a', 'b'],
      failed: [],
      verified,
      scan: { ok: false, result: null, error: 'exit code 2' },
    });
    expect(r).toEqual({
      fixed: [],
      failed: ['a', 'b'],
      verifyError: 'verification scan failed: exit code 2',
    });
  });

  it('a clean scan keeps every fix and does not change its inputs', () => {
    const fixed = ['a', 'b'];
    const r = applyVerification({
      fixed,
      failed: [],
      verified,
      scan: { ok: true, result: null, error: null },
    });
    expect(r).toEqual({ fixed: ['a', 'b'], failed: [], verifyError: null });
    expect(fixed).toEqual(['a', 'b']);
  });

  it('reads the scan: packages below their fix, else what is still present', () => {
    expect(
      verificationVerdict({
        details: {
          stillVulnerable: [{ packageName: 'openssl', installedVersion: '3.0.1', fixedVersion: '3.0.2' }],
        },
      }),
    ).toBe('still vulnerable: openssl 3.0.1 < 3.0.2');
    expect(verificationVerdict({ details: { stillPresent: ['CVE-a'] } })).toBe(
      'verification scan still finds CVE-a',
    );
    expect(verificationVerdict({ details: {} })).toBeNull();
  });
});

describe('assetOutcome', () => {
  it('succeeds with no reason when every step went well', () => {
    expect(assetOutcome(clean)).toEqual({ status: 'Succeeded', reason: null });
  });

  it('fails with every reason: the fixes, the verification and the reboot', () => {
    expect(
      assetOutcome({
        ...clean,
        fixErrors: ['CVE-1: exit code 1', 'CVE-2: timed out'],
        verifyError: 'verification scan failed: exit code 2',
        rebootError: 'reboot failed: exit code 1',
      }),
    ).toEqual({
      status: 'Failed',
      reason:
        'fix failed — CVE-1: exit code 1; CVE-2: timed out · verification scan failed: exit code 2 · reboot failed: exit code 1',
    });
  });

  it('a reboot the policy forbids is a success pending reboot; an allowed one is not mentioned', () => {
    expect(assetOutcome({ ...clean, rebootRequired: true, reboot: 'never' })).toEqual({
      status: 'Succeeded',
      reason: 'fixed, pending reboot (policy: never reboot)',
    });
    expect(assetOutcome({ ...clean, rebootRequired: true })).toEqual({ status: 'Succeeded', reason: null });
  });

  it('a dry run says what it would have done, in success and in failure', () => {
    const dryRuns = [dryRunLine(vuln('1'), { details: { versionBefore: '1.0', wouldUpgradeTo: '1.1' } })];
    expect(assetOutcome({ ...clean, dryRuns })).toEqual({
      status: 'Succeeded',
      reason: 'dry run, nothing changed: would upgrade pkg-1 from 1.0 to 1.1',
    });
    expect(assetOutcome({ ...clean, dryRuns, fixErrors: ['CVE-2: exit code 1'] }).reason).toBe(
      'fix failed — CVE-2: exit code 1 · dry run, nothing changed: would upgrade pkg-1 from 1.0 to 1.1',
    );
    expect(dryRunLine(vuln('2'), null)).toBe('would not change pkg-2 (no newer version offered)');
  });
});

describe('hostError', () => {
  it('the agent’s own words, or that the host cannot do it', () => {
    expect(hostError({ details: { error: 'still vulnerable: x' } })).toBe('still vulnerable: x');
    expect(hostError({ details: { unsupported: 'windows' } })).toBe('unsupported on this host');
    expect(hostError({ details: {} })).toBeNull();
  });
});
