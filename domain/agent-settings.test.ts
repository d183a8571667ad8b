import { describe, expect, it } from 'vitest';
import { unappliedSettings } from './agent-settings.js';
import { DEFAULT_MEMBER_SETTINGS } from './multi-account/member-settings.js';

const settings = (change: (s: typeof DEFAULT_MEMBER_SETTINGS) => void) => {
  const s = structuredClone(DEFAULT_MEMBER_SETTINGS);
  change(s);
  return s;
};
const settingNames = (...args: Parameters<typeof unappliedSettings>) =>
  unappliedSettings(...args).map((u) => u.setting);

describe('what an agent cannot apply of a settings revision', () => {
  const scanner = { fixes: ['linux' as const], scan: true, dryRun: false, baseline: { available: true } };

  it('names every switch and scan type this agent has no engine for, and nothing it can do', () => {
    const s = settings((x) => {
      x.clientManagement = { ...x.clientManagement, webshellDetection: true, k8sThreatDetection: false };
      x.vulnerabilityManagement.autoScan = {
        linux: true,
        windows: true,
        webcms: false,
        app: false,
        emergency: false,
      };
    });
    const names = settingNames(s, scanner);
    expect(names).toContain('clientManagement.webshellDetection');
    expect(names).not.toContain('clientManagement.k8sThreatDetection');
    expect(names).toContain('vulnerabilityManagement.autoScan.windows');
    expect(names).not.toContain('vulnerabilityManagement.autoScan.linux');
    expect(names).not.toContain('vulnerabilityManagement.scanMethod');
  });

  it('reports Linux scans on an agent that cannot inventory, the agentless method, and baselines without oscap', () => {
    const s = settings((x) => {
      x.vulnerabilityManagement.scanMethod = 'agentless';
      x.baselinePolicies = [
        { name: 'p', checkItems: ['a'], cycleDays: 1, startHour: 0, assets: { mode: 'all' } },
      ];
    });
    const unapplied = unappliedSettings(s, {
      fixes: ['linux'],
      scan: false,
      dryRun: false,
      baseline: { available: false, reason: 'OpenSCAP is not installed on this host' },
    });
    expect(unapplied).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ setting: 'vulnerabilityManagement.autoScan.linux' }),
        expect.objectContaining({ setting: 'vulnerabilityManagement.scanMethod' }),
        { setting: 'baselinePolicies', reason: 'OpenSCAP is not installed on this host' },
      ]),
    );
    expect(settingNames(s, scanner)).not.toContain('baselinePolicies');
  });

  it('reads a document it does not understand as nothing to report', () => {
    expect(unappliedSettings('not settings', scanner)).toEqual([]);
  });
});
