import type { ConsoleLanguage } from '../domain/console.js';

/**
 * The API answers in English (its messages are its contract). The console shows them at the field in the page's
 * language: each known message shape has a Chinese entry here, with the variable parts (names, numbers) carried
 * over; a message nobody has translated yet is shown as the API wrote it rather than hidden.
 */
const NOUNS: Record<string, string> = {
  asset: '资产',
  'asset group': '资产分组',
  report: '报告',
  task: '任务',
  policy: '策略',
  template: '模板',
  witness: '证人',
  cluster: '集群',
  signature: '签名',
  'security policy': '安全策略',
  'notification channel': '通知渠道',
  'resource directory': '资源目录',
  'managed member': '管控成员',
  invitation: '邀请',
  account: '账号',
  'API key': 'API 密钥',
  'enrollment token': '安装令牌',
  'email recipient': '邮件接收人',
  delivery: '发送记录',
};
const noun = (n: string) => NOUNS[n] ?? n;

type Entry = [RegExp, string | ((m: RegExpExecArray) => string)];

const ZH_MESSAGES: Entry[] = [
  // Schema (zod) messages, from the API's one validation hook.
  [/^the request does not match the schema$/, '请求内容不符合要求'],
  [/^Too small: expected string to have >=1 characters?$/, '不能为空'],
  [/^Too small: expected string to have >=(\d+) characters$/, '至少 $1 个字符'],
  [/^Too big: expected string to have <=(\d+) characters$/, '最多 $1 个字符'],
  [/^Too small: expected array to have >=(\d+) items?$/, '至少 $1 项'],
  [/^Too big: expected array to have <=(\d+) items$/, '最多 $1 项'],
  [/^Too small: expected number to be >=(-?\d+)$/, '不能小于 $1'],
  [/^Too big: expected number to be <=(-?\d+)$/, '不能大于 $1'],
  [/^Invalid input: expected (\w+), received (\w+)$/, '格式不正确（应为 $1）'],
  [/^Invalid UUID$/, '不是有效的 ID'],
  [/^Invalid email address$/, '不是有效的邮箱地址'],
  [/^Invalid (option|input)(: .*)?$/, '取值无效'],
  [/^must be a URL$/, '必须是 URL'],
  [/^must be an e-mail address$/, '必须是邮箱地址'],
  [/^must not contain control characters/, '不能包含控制字符'],
  [/^must be an IANA time zone such as (.+)$/, '必须是 IANA 时区，例如 $1'],
  // Access.
  [/^this action needs the (\w+) role; the key has (\w+)$/, '此操作需要 $1 角色，当前密钥为 $2'],
  [/^(.+) not found$/, (m) => `未找到${noun(m[1] ?? '')}`],
  [/^no such account in this resource directory$/, '资源目录中没有该账号'],
  // Names and uniqueness.
  [/^an? ([\w -]+) named "(.*)" exists$/, (m) => `已存在名为“${m[2] ?? ''}”的${noun(m[1] ?? '')}`],
  // Reports.
  [
    /^an account has at most (\d+) security reports besides the default one$/,
    '每个账号除默认报告外最多 $1 个安全报告',
  ],
  [
    /^the send window must be at least (\d+) hours long \(got (\d+) minutes\)$/,
    '发送时间段至少 $1 小时（当前 $2 分钟）',
  ],
  [/^send window start and end must be HH:MM/, '发送时间段的开始和结束必须是 HH:MM（24 小时制）'],
  [/^select at least one content item$/, '请至少选择一项报告内容'],
  [/^a Custom report needs a data-collection period$/, '自定义报告需要设置数据统计周期'],
  [/^the period must end after it starts$/, '统计周期的结束必须晚于开始'],
  [/^the data-collection period must lie within the last (\d+) days$/, '数据统计周期必须在最近 $1 天内'],
  [/^at most (\d+) recipients per report$/, '每个报告最多 $1 个接收人'],
  [/^(.+) is not a recipient of this account; .*$/, '$1 不是本账号的接收人，请先添加并完成验证'],
  [
    /^the report has no verified recipient; nothing would be sent$/,
    '报告没有已验证的接收人，不会发送任何邮件',
  ],
  [/^the default security report cannot be deleted$/, '默认安全报告不能删除'],
  // Assets, tasks.
  [/^the asset has no agent to scan it$/, '该资产未安装客户端，无法扫描'],
  [/^the asset selection matches no asset$/, '所选范围内没有资产'],
  [/^the task already ended \((\w+)\)$/, '任务已结束（$1）'],
  [/^only an ended task can be rerun \(it is (\w+)\)$/, '只有已结束的任务可以重新执行（当前为 $1）'],
  [
    /^the policy has active tasks; cancel them or wait until they end$/,
    '该策略有进行中的任务，请先取消或等待其结束',
  ],
  // Notification channels.
  [/^webhook must use https$/, 'Webhook 必须使用 https'],
  [/^webhook host (\S+) is not allowed; .*$/, '不允许的 Webhook 主机 $1（见 VIGIL_WEBHOOK_ALLOWLIST）'],
  [/^webhook is not a valid URL$/, 'Webhook 不是有效的 URL'],
  // Resource directory.
  [/^(this|the) account already belongs to a resource directory$/, '该账号已属于一个资源目录'],
  [/^the account already has a pending invitation$/, '该账号已有待处理的邀请'],
  [/^the invitation is already (\w+)$/, '邀请已处于 $1 状态'],
  [/^the management account cannot be a managed member$/, '管理账号不能成为管控成员'],
  // Rate limits.
  [/^rate limit of (\d+) requests a minute reached$/, '已达到每分钟 $1 次请求的上限'],
];

/** The API's message in the page's language: its Chinese entry when one matches, else the message itself. */
export function translateApiMessage(lang: ConsoleLanguage, message: string): string {
  if (lang !== 'zh-CN') return message;
  for (const [pattern, zh] of ZH_MESSAGES) {
    const m = pattern.exec(message);
    if (m) return typeof zh === 'string' ? message.replace(pattern, zh) : zh(m);
  }
  return message;
}
