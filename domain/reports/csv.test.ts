import { describe, expect, it } from 'vitest';
import { consolidateStats } from './consolidate.js';
import { csvCell, reportItemCsv } from './csv.js';
import { reportPeriod } from './period.js';
import type { TReportStats } from './stats.js';

const period = reportPeriod({
  type: 'daily',
  timeZone: 'UTC',
  scheduledAt: new Date('2026-12-07T08:00:00Z'),
});
const stats = (alerts: number, title: string): TReportStats => ({
  period,
  items: ['alerts'],
  openBySeverity: { critical: 1, high: 0, medium: 0, low: 0 },
  alerts: {
    added: { current: alerts, previous: 1 },
    bySeverity: {
      critical: { current: alerts, previous: 1 },
      high: { current: 0, previous: 0 },
      medium: { current: 0, previous: 0 },
      low: { current: 0, previous: 0 },
    },
    unhandled: 1,
    openHigh: [{ title, asset: 'web-01', severity: 'critical', at: '2026-12-06T10:00:00.000Z' }],
  },
});

describe('report item CSV', () => {
  it('quotes separators and defuses spreadsheet formulas', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell('-1+1')).toBe("'-1+1");
    expect(csvCell(7)).toBe('7');
  });

  it('lists counts and findings of one item', () => {
    const csv = reportItemCsv(stats(3, 'SSH brute force, from 10.0.0.9'), 'alerts');
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe('member,kind,metric,severity,this_period,previous_period,open,title,asset,at');
    expect(lines[1]).toBe(',count,added,,3,1,1,,,');
    expect(lines).toContain(
      ',finding,open_high,critical,,,,"SSH brute force, from 10.0.0.9",web-01,2026-12-06T10:00:00.000Z',
    );
    expect(reportItemCsv(stats(3, 'x'), 'attack')).toBe(
      'member,kind,metric,severity,this_period,previous_period,open,title,asset,at\r\n',
    );
  });

  it('gives a consolidated report its totals and a block per member', () => {
    const total = consolidateStats(
      { period, items: ['alerts'] },
      [
        { accountId: 'a', name: 'Shop', score: 90, stats: stats(2, 'one') },
        { accountId: 'b', name: 'Bank', score: 70, stats: stats(5, 'two') },
      ],
      8,
    );
    const lines = reportItemCsv(total, 'alerts').trimEnd().split('\r\n');
    expect(lines[1]).toBe(',count,added,,7,2,2,,,');
    expect(lines.filter((l) => l.startsWith('Shop,count,added,,2'))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('Bank,count,added,,5'))).toHaveLength(1);
    expect(total.alerts?.openHigh.map((r) => r.asset)).toEqual(['Shop / web-01', 'Bank / web-01']);
  });
});
