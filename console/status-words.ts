import type { ConsoleLanguage } from '../domain/console.js';
import { AGENT_JOB_STATUSES } from '../domain/agent-jobs.js';
import { ALERT_STATUSES, SEVERITIES, VULNERABILITY_STATUSES } from '../domain/findings.js';
import {
  DIRECTORY_JOIN_KINDS,
  DIRECTORY_ROLES,
  INVITATION_STATUSES,
} from '../domain/multi-account/directory.js';
import { PROTECTION_MODES } from '../domain/multi-account/member-settings.js';
import { DELIVERY_STATUSES } from '../domain/notifications.js';
import {
  ASSET_STATUSES,
  STEP_KINDS,
  STEP_STATUSES,
  TASK_STATUSES,
  TASK_VULNERABILITY_STATUSES,
} from '../domain/playbook/status.js';
import { ROLES } from '../domain/roles.js';
import {
  ADMISSION_OUTCOMES,
  KEY_VERSION_STATUSES,
  POLICY_MODES,
  WITNESS_STATUSES,
} from '../domain/signature/rules.js';

/**
 * Every status-like value the API sends that a console page shows as a word: severities; task, asset, step and
 * vulnerability statuses, agent status, deliveries, recipients, invitations, roles, admission outcomes and modes, rollout.
 */
export const STATUS_VALUES: readonly string[] = [
  ...new Set([
    ...TASK_STATUSES,
    ...SEVERITIES,
    ...ASSET_STATUSES,
    ...STEP_STATUSES,
    ...STEP_KINDS,
    ...TASK_VULNERABILITY_STATUSES,
    ...VULNERABILITY_STATUSES,
    ...ALERT_STATUSES,
    ...AGENT_JOB_STATUSES,
    ...['online', 'offline', 'none'],
    ...DELIVERY_STATUSES,
    ...['pending', 'verified', 'unsubscribed', 'removed'],
    ...INVITATION_STATUSES,
    ...DIRECTORY_ROLES,
    ...DIRECTORY_JOIN_KINDS,
    ...ROLES,
    ...PROTECTION_MODES,
    ...ADMISSION_OUTCOMES,
    ...POLICY_MODES,
    ...KEY_VERSION_STATUSES,
    ...WITNESS_STATUSES,
    ...['in-progress', 'converged'],
  ]),
];

/** English words where the API's value is not one (camelCase, hyphenated); any other value is its own word. */
const EN: Record<string, string> = {
  critical: 'Critical',
  high: 'High',
  medium: 'Medium',
  low: 'Low',
  PartiallyFailed: 'Partially failed',
  none: 'no agent',
  'delegated-admin': 'delegated admin',
  businessFirst: 'business first',
  protectionFirst: 'protection first',
  majorActivities: 'major activities',
  wouldDeny: 'would deny',
  notCovered: 'not covered',
  breakGlass: 'break glass',
  dryRun: 'dry run',
  'in-progress': 'in progress',
};

const ZH: Record<string, string> = {
  critical: '严重',
  high: '高危',
  medium: '中危',
  low: '低危',
  Waiting: '等待中',
  Progressing: '进行中',
  Paused: '已暂停',
  Cancelling: '取消中',
  Cancelled: '已取消',
  Succeeded: '成功',
  PartiallyFailed: '部分失败',
  Failed: '失败',
  Expired: '已过期',
  Pending: '待执行',
  Running: '执行中',
  Skipped: '已跳过',
  running: '执行中',
  succeeded: '成功',
  failed: '失败',
  cancelled: '已取消',
  skipped: '已跳过',
  precheck: '预检查',
  snapshot: '快照',
  fix: '修复',
  verify: '验证',
  reboot: '重启',
  pending: '待处理',
  fixing: '修复中',
  fixed: '已修复',
  open: '未修复',
  ignored: '已忽略',
  unhandled: '未处理',
  handled: '已处理',
  online: '在线',
  offline: '离线',
  none: '未安装 Agent',
  sending: '发送中',
  sent: '已发送',
  verified: '已验证',
  unsubscribed: '已退订',
  removed: '已移除',
  accepted: '已接受',
  declined: '已拒绝',
  management: '管理账号',
  'delegated-admin': '委派管理员',
  member: '成员',
  enabled: '已启用',
  created: '新建',
  invited: '邀请加入',
  viewer: '只读',
  operator: '操作员',
  admin: '管理员',
  businessFirst: '业务优先',
  protectionFirst: '防护优先',
  majorActivities: '重大活动保障',
  allowed: '允许',
  denied: '拒绝',
  warned: '告警',
  wouldDeny: '将拒绝（试运行）',
  notCovered: '未覆盖',
  breakGlass: '紧急放行',
  enforce: '拦截',
  warn: '告警',
  dryRun: '试运行',
  disabled: '已禁用',
  active: '启用中',
  'in-progress': '下发中',
  converged: '已生效',
};

const WORDS: Record<ConsoleLanguage, Record<string, string>> = { en: EN, 'zh-CN': ZH };

/** A status value from the API as a word of the page's language (an unknown value is shown as it came). */
export function statusWord(lang: ConsoleLanguage, value: string): string {
  return WORDS[lang][value] ?? value;
}

/** Status values as select options labelled in the page's language. */
export function statusOptions(lang: ConsoleLanguage, values: readonly string[]): [string, string][] {
  return values.map((v) => [v, statusWord(lang, v)]);
}
