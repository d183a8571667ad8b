import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MEMBER_SETTINGS,
  readStoredSettings,
  settingsWithMode,
  type TMemberSettings,
} from './member-settings.js';

const CURRENT: TMemberSettings = {
  ...settingsWithMode('protectionFirst'),
  baselinePolicies: [
    {
      name: 'CIS Linux',
      checkItems: ['ssh-root-login'],
      cycleDays: 1,
      startHour: 3,
      assets: { mode: 'selected', assetIds: ['0190a000-0000-7000-8000-000000000001'] },
    },
  ],
};

/** The client switches a revision saved before `clientEngine` existed carries. */
const OLDER_SWITCHES = {
  proactiveDefense: false,
  webshellDetection: false,
  k8sThreatDetection: true,
  adaptiveThreatDetection: false,
  alertAggregation: false,
  protectionMode: 'majorActivities',
  clientProtection: false,
} as const;

describe('reading stored member settings', () => {
  it('reads a revision of the current schema back unchanged', () => {
    expect(readStoredSettings(structuredClone(CURRENT))).toEqual(CURRENT);
  });

  it('fills the fields an older revision lacks with the defaults and drops fields since removed', () => {
    const older = {
      clientManagement: {
        ...OLDER_SWITCHES,
        // clientEngine did not exist yet; legacySwitch has been removed since.
        legacySwitch: true,
      },
      vulnerabilityManagement: {
        autoScan: { linux: false, windows: true, webcms: false, app: true }, // no `emergency` type yet
        scanCycleDays: 30,
        scannedAssets: { mode: 'all' },
        // no deleteAfterDays yet
      },
      baselinePolicies: [{ name: 'old policy', checkItems: ['a', 'b'], cycleDays: 3 }], // no startHour, assets
    };
    expect(readStoredSettings(older)).toEqual({
      clientManagement: {
        ...OLDER_SWITCHES,
        clientEngine: DEFAULT_MEMBER_SETTINGS.clientManagement.clientEngine,
      },
      vulnerabilityManagement: {
        autoScan: {
          linux: false,
          windows: true,
          webcms: false,
          app: true,
          emergency: DEFAULT_MEMBER_SETTINGS.vulnerabilityManagement.autoScan.emergency,
        },
        scanCycleDays: 30,
        scanMethod: DEFAULT_MEMBER_SETTINGS.vulnerabilityManagement.scanMethod,
        scannedAssets: { mode: 'all' },
        deleteAfterDays: DEFAULT_MEMBER_SETTINGS.vulnerabilityManagement.deleteAfterDays,
      },
      baselinePolicies: [
        { name: 'old policy', checkItems: ['a', 'b'], cycleDays: 3, startHour: 0, assets: { mode: 'all' } },
      ],
    });
  });

  it('reads a document missing whole sections as the defaults for them', () => {
    expect(readStoredSettings({ clientManagement: CURRENT.clientManagement })).toEqual({
      ...DEFAULT_MEMBER_SETTINGS,
      clientManagement: CURRENT.clientManagement,
    });
    expect(readStoredSettings({})).toEqual(DEFAULT_MEMBER_SETTINGS);
  });

  it('still refuses a value the current schema does not allow (not merely missing)', () => {
    const narrowed = structuredClone(CURRENT) as unknown as {
      vulnerabilityManagement: { scanCycleDays: number };
    };
    narrowed.vulnerabilityManagement.scanCycleDays = 2;
    expect(() => readStoredSettings(narrowed)).toThrow();
    expect(() => readStoredSettings({ baselinePolicies: [{ cycleDays: 7 }] })).toThrow();
  });
});
