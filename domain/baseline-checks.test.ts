import { describe, expect, it } from 'vitest';
import {
  baselineSelection,
  DEFAULT_BASELINE_PROFILE,
  nextBaselineRun,
  severityOfXccdf,
} from './baseline-checks.js';

describe('baseline policy check items', () => {
  it('select a profile and SSG rules by short name or full id, once each', () => {
    expect(
      baselineSelection([
        'profile:anssi_np_nt28_minimal',
        'file_permissions_etc_passwd',
        'xccdf_org.ssgproject.content_rule_file_permissions_etc_passwd',
        ' sshd_disable_root_login ',
      ]),
    ).toEqual({
      profile: 'xccdf_org.ssgproject.content_profile_anssi_np_nt28_minimal',
      rules: [
        'xccdf_org.ssgproject.content_rule_file_permissions_etc_passwd',
        'xccdf_org.ssgproject.content_rule_sshd_disable_root_login',
      ],
    });
  });

  it('run the whole standard profile when they name no rule', () => {
    expect(baselineSelection(['profile:standard'])).toEqual({ profile: DEFAULT_BASELINE_PROFILE, rules: [] });
  });

  it('map XCCDF severities onto Vigil’s', () => {
    expect(['high', 'medium', 'low', 'unknown', 'info'].map(severityOfXccdf)).toEqual([
      'high',
      'medium',
      'low',
      'medium',
      'low',
    ]);
  });
});

describe('when a baseline policy runs', () => {
  const at = (iso: string) => new Date(iso);

  it('runs first at the next start hour on the wall clock of the member’s time zone', () => {
    // 03:00 in Shanghai is 19:00 UTC the day before.
    const opts = { cycleDays: 7, startHour: 3, timeZone: 'Asia/Shanghai', lastRunAt: null };
    expect(nextBaselineRun({ ...opts, now: at('2026-12-07T10:00:00Z') })).toEqual(at('2026-12-07T19:00:00Z'));
    expect(nextBaselineRun({ ...opts, now: at('2026-12-07T20:00:00Z') })).toEqual(at('2026-12-08T19:00:00Z'));
  });

  it('runs again cycleDays after the previous run’s day, at the start hour, across a DST change', () => {
    const opts = { cycleDays: 3, startHour: 2, timeZone: 'America/New_York' };
    // Last run on Sat 7 March 2026 at 02:00 EST; three days later is after the spring-forward (EDT, UTC−4).
    expect(
      nextBaselineRun({ ...opts, lastRunAt: at('2026-03-07T07:00:00Z'), now: at('2026-03-08T12:00:00Z') }),
    ).toEqual(at('2026-03-10T06:00:00Z'));
  });

  it('is due at once when the run was missed', () => {
    const now = at('2026-12-20T00:00:00Z');
    expect(
      nextBaselineRun({
        cycleDays: 1,
        startHour: 0,
        timeZone: 'UTC',
        lastRunAt: at('2026-12-01T00:00:00Z'),
        now,
      }),
    ).toEqual(now);
  });
});
