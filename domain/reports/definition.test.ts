import { describe, expect, it } from 'vitest';
import { checkReportRules, validateReportDraft, type TReportDraft } from './definition.js';

const now = new Date('2026-11-28T12:00:00Z');
const base: TReportDraft = {
  type: 'daily',
  timeZone: 'Asia/Shanghai',
  sendWindowStart: '08:00',
  sendWindowEnd: '10:00',
  language: 'zh-CN',
  items: ['alerts', 'vulnerabilities'],
  recipients: [],
};

describe('report rules (manual: Create a security report)', () => {
  it('accepts a valid definition', () => {
    expect(checkReportRules(base, now)).toEqual([]);
    expect(validateReportDraft(base, now).definition?.type).toBe('daily');
  });

  it.each([
    ['send window shorter than 2 hours', { sendWindowEnd: '09:59' }, 'sendWindowEnd'],
    ['unknown language', { language: 'fr' }, 'language'],
    ['unknown item', { items: ['alerts', 'weather'] }, 'items'],
    ['no item', { items: [] }, 'items'],
    ['unknown zone', { timeZone: 'Mars/Olympus' }, 'timeZone'],
    ['unknown type', { type: 'hourly' }, 'type'],
    ['custom without period', { type: 'custom' }, 'period'],
    [
      'period on a daily report',
      { period: { start: new Date('2026-11-20'), end: new Date('2026-11-21') } },
      'period',
    ],
    [
      'custom period older than 30 days',
      {
        type: 'custom',
        period: { start: new Date('2026-10-28T11:00:00Z'), end: new Date('2026-11-01T00:00:00Z') },
      },
      'period',
    ],
    [
      'custom period in the future',
      {
        type: 'custom',
        period: { start: new Date('2026-11-20T00:00:00Z'), end: new Date('2026-11-29T00:00:00Z') },
      },
      'period',
    ],
  ] as const)('rejects %s', (_name, patch, field) => {
    const violations = checkReportRules({ ...base, ...patch }, now);
    expect(violations.map((v) => v.field)).toContain(field);
    expect(validateReportDraft({ ...base, ...patch }, now).definition).toBeNull();
  });

  it('accepts a custom period inside the last 30 days and an exactly 2-hour window past midnight', () => {
    const draft = {
      ...base,
      type: 'custom',
      sendWindowStart: '23:00',
      sendWindowEnd: '01:00',
      period: { start: new Date('2026-10-29T13:00:00Z'), end: new Date('2026-11-28T00:00:00Z') },
    };
    expect(checkReportRules(draft, now)).toEqual([]);
  });
});
