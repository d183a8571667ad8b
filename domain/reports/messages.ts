import type { Severity } from '../findings.js';
import type { TReportItem, TReportLanguage, TReportType } from './rules.js';

/** Every word a report mail shows, per language (manual: Simplified Chinese and English). */
export interface TReportMessages {
  product: string;
  subject: (name: string, label: string) => string;
  type: Record<TReportType, string>;
  item: Record<TReportItem, string>;
  severity: Record<Severity, string>;
  period: string;
  timeZone: string;
  generated: string;
  quietTitle: string;
  quietBody: string;
  summary: string;
  metric: string;
  thisPeriod: string;
  previousPeriod: string;
  change: string;
  trendChart: string;
  severityChart: string;
  topAssets: string;
  asset: string;
  critical: string;
  high: string;
  open: string;
  fixedInPeriod: string;
  openHigh: string;
  finding: string;
  severityCol: string;
  when: string;
  attackTypes: string;
  count: string;
  none: string;
  /** Consolidated report: the members part, a member's score, and the scope line. */
  members: string;
  member: string;
  score: string;
  scope: (group: string | null, minSeverity: string | null) => string;
  assetsTotal: string;
  agents: (online: number, offline: number, none: number) => string;
  unhandled: string;
  blocked: string;
  alertsHandled: string;
  vulnerabilitiesFixed: string;
  footer: string;
  unsubscribe: string;
  verifySubject: string;
  verifyBody: (account: string, hours: number) => string;
  verifyButton: string;
}

const en: TReportMessages = {
  product: 'Vigil security report',
  subject: (name, label) => `[Vigil] ${name} — ${label}`,
  type: { daily: 'Daily', weekly: 'Weekly', monthly: 'Monthly', custom: 'Custom' },
  item: {
    issueResolved: 'Issue Resolved',
    assets: 'Assets',
    alerts: 'Alerts',
    vulnerabilities: 'Vulnerabilities',
    baselineCheck: 'Baseline check',
    attack: 'Attack',
  },
  severity: { critical: 'Critical', high: 'High', medium: 'Medium', low: 'Low' },
  period: 'Period',
  timeZone: 'Time zone',
  generated: 'Generated',
  quietTitle: 'Nothing new in this period',
  quietBody:
    'No new alerts, vulnerabilities, baseline risks, attacks or assets, and nothing was resolved. ' +
    'This mail confirms that reporting works: a missing report means something failed.',
  summary: 'Summary',
  metric: 'Item',
  thisPeriod: 'This period',
  previousPeriod: 'Previous period',
  change: 'Change',
  trendChart: 'This period against the previous one',
  severityChart: 'Open items by severity',
  topAssets: 'Most affected assets (open vulnerabilities)',
  asset: 'Asset',
  critical: 'Critical',
  high: 'High',
  open: 'Open',
  fixedInPeriod: 'Vulnerabilities fixed in this period',
  openHigh: 'Open high-severity items',
  finding: 'Finding',
  severityCol: 'Severity',
  when: 'When',
  attackTypes: 'Attack types',
  count: 'Count',
  none: 'None.',
  members: 'Managed members',
  member: 'Member',
  score: 'Security score',
  scope: (group, min) =>
    ['Scope:', group ? `asset group ${group}` : 'all assets', min ? `· ${min} severity and above` : '']
      .join(' ')
      .trim(),
  assetsTotal: 'Assets in total',
  agents: (on, off, none) => `Agents: ${on} online, ${off} offline, ${none} without agent`,
  unhandled: 'Unhandled',
  blocked: 'Blocked',
  alertsHandled: 'Alerts handled',
  vulnerabilitiesFixed: 'Vulnerabilities fixed',
  footer: 'You receive this mail because your address is a verified recipient of this report.',
  unsubscribe: 'Unsubscribe',
  verifySubject: '[Vigil] Confirm that you want to receive security reports',
  verifyBody: (account, hours) =>
    `Someone added this address as a recipient of security reports for the account "${account}". ` +
    `Confirm within ${hours} hours to start receiving them; if you did not expect this, ignore this mail.`,
  verifyButton: 'Confirm this address',
};

const zh: TReportMessages = {
  product: 'Vigil 安全报告',
  subject: (name, label) => `[Vigil] ${name} — ${label}`,
  type: { daily: '日报', weekly: '周报', monthly: '月报', custom: '自定义' },
  item: {
    issueResolved: '已处理问题',
    assets: '资产',
    alerts: '告警',
    vulnerabilities: '漏洞',
    baselineCheck: '基线检查',
    attack: '攻击',
  },
  severity: { critical: '严重', high: '高危', medium: '中危', low: '低危' },
  period: '统计周期',
  timeZone: '时区',
  generated: '生成时间',
  quietTitle: '本周期无新情况',
  quietBody:
    '本周期没有新的告警、漏洞、基线风险、攻击或资产，也没有处理完成的问题。此邮件确认报告功能正常：若未收到报告，说明发生了故障。',
  summary: '概览',
  metric: '项目',
  thisPeriod: '本周期',
  previousPeriod: '上一周期',
  change: '变化',
  trendChart: '本周期与上一周期对比',
  severityChart: '未处理项目（按严重程度）',
  topAssets: '受影响最多的资产（未修复漏洞）',
  asset: '资产',
  critical: '严重',
  high: '高危',
  open: '未修复',
  fixedInPeriod: '本周期修复的漏洞',
  openHigh: '未处理的高危项目',
  finding: '问题',
  severityCol: '严重程度',
  when: '时间',
  attackTypes: '攻击类型',
  count: '数量',
  none: '无。',
  members: '受管成员',
  member: '成员',
  score: '安全评分',
  scope: (group, min) =>
    ['范围：', group ? `资产分组 ${group}` : '全部资产', min ? `· ${min}及以上` : ''].join(' ').trim(),
  assetsTotal: '资产总数',
  agents: (on, off, none) => `客户端：在线 ${on}，离线 ${off}，未安装 ${none}`,
  unhandled: '未处理',
  blocked: '已拦截',
  alertsHandled: '已处理告警',
  vulnerabilitiesFixed: '已修复漏洞',
  footer: '您收到此邮件，是因为您的地址是此报告已验证的收件人。',
  unsubscribe: '退订',
  verifySubject: '[Vigil] 请确认接收安全报告',
  verifyBody: (account, hours) =>
    `有人将此地址添加为账号“${account}”安全报告的收件人。请在 ${hours} 小时内确认以开始接收；如非本人操作，请忽略此邮件。`,
  verifyButton: '确认此地址',
};

export const REPORT_MESSAGES: Record<TReportLanguage, TReportMessages> = { en, 'zh-CN': zh };
