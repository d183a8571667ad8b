import { describe, expect, it } from 'vitest';
import { VigilError } from '../errors.js';
import { DEFAULT_MEMBER_SETTINGS } from './member-settings.js';
import {
  assertDirectoryPolicyNamesNoAssets,
  effectiveSettings,
  sameSettings,
  settingsFieldPaths,
  ZSettingsPatchSchema,
} from './settings-policy.js';

const directoryDefault = {
  clientManagement: { protectionMode: 'protectionFirst' },
  vulnerabilityManagement: { scanCycleDays: 1 },
};

describe('effective member settings', () => {
  it('takes each field from the override, else the directory default, else the built-in default', () => {
    const e = effectiveSettings({
      overrides: { vulnerabilityManagement: { scanCycleDays: 30 } },
      directoryDefault,
      excluded: false,
    });
    expect(e.settings.vulnerabilityManagement.scanCycleDays).toBe(30);
    expect(e.settings.clientManagement.protectionMode).toBe('protectionFirst');
    expect(e.settings.vulnerabilityManagement.deleteAfterDays).toBe(
      DEFAULT_MEMBER_SETTINGS.vulnerabilityManagement.deleteAfterDays,
    );
    expect(e.sources).toMatchObject({
      'vulnerabilityManagement.scanCycleDays': 'member-override',
      'clientManagement.protectionMode': 'directory-default',
      'vulnerabilityManagement.deleteAfterDays': 'built-in-default',
      baselinePolicies: 'built-in-default',
    });
    // Every field of the schema is explained, nothing else.
    expect(Object.keys(e.sources).sort()).toEqual(settingsFieldPaths().sort());
  });

  it('ignores the directory default for an excluded member', () => {
    const e = effectiveSettings({ overrides: null, directoryDefault, excluded: true });
    expect(e.settings).toEqual(DEFAULT_MEMBER_SETTINGS);
    expect(new Set(Object.values(e.sources))).toEqual(new Set(['built-in-default']));
  });

  it('treats an asset scope and the baseline policy list as one field each', () => {
    const paths = settingsFieldPaths();
    expect(paths).toContain('vulnerabilityManagement.scannedAssets');
    expect(paths).toContain('vulnerabilityManagement.autoScan.linux');
    expect(paths).toContain('baselinePolicies');
    expect(paths.some((p) => p.startsWith('vulnerabilityManagement.scannedAssets.'))).toBe(false);
  });

  it('accepts any subset in a patch, refuses unknown fields and bad values', () => {
    expect(ZSettingsPatchSchema.safeParse({}).success).toBe(true);
    expect(ZSettingsPatchSchema.safeParse(directoryDefault).success).toBe(true);
    expect(ZSettingsPatchSchema.safeParse({ clientManagement: { nope: true } }).success).toBe(false);
    expect(ZSettingsPatchSchema.safeParse({ vulnerabilityManagement: { scanCycleDays: 2 } }).success).toBe(
      false,
    );
    // A default in the full schema does not fill a patch: a missing field stays inherited.
    const parsed = ZSettingsPatchSchema.parse({ baselinePolicies: [] });
    expect(parsed).toEqual({ baselinePolicies: [] });
  });

  it('refuses a directory policy that selects assets, naming the field', () => {
    expect(() =>
      assertDirectoryPolicyNamesNoAssets({
        vulnerabilityManagement: { scannedAssets: { mode: 'selected', assetIds: ['x'] } },
      }),
    ).toThrow(VigilError);
    expect(() => assertDirectoryPolicyNamesNoAssets(directoryDefault)).not.toThrow();
  });

  it('compares settings regardless of key order', () => {
    expect(sameSettings({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 })).toBe(true);
    expect(sameSettings({ a: 1 }, { a: 2 })).toBe(false);
  });
});
