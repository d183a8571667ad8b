import { describe, expect, it } from 'vitest';
import {
  checkWebhookUrl,
  dingTalkMarkdown,
  DINGTALK_MAX_TEXT_CHARS,
  escapeMarkdown,
  MAX_EMAIL_RECIPIENTS,
  maskWebhookUrl,
  sampleMessage,
  signDingTalk,
  signedWebhookUrl,
  ZRecipientsSchema,
} from './notifications.js';

describe('signDingTalk', () => {
  it('is base64(HMAC-SHA256(secret, "timestamp\\nsecret")), as computed independently by Python', async () => {
    // python3: base64.b64encode(hmac.new(b'SEC0123456789abcdef', b'1700000000000\nSEC0123456789abcdef', sha256).digest())
    expect(await signDingTalk('SEC0123456789abcdef', 1700000000000)).toBe(
      'TSZbRFUuvaSQaRKUpF970OPCb2/LcQAP3wOvwZIzBZk=',
    );
  });

  it('appends timestamp and the URL-encoded sign to the webhook, keeping the access token', () => {
    const url = signedWebhookUrl(
      'https://oapi.dingtalk.com/robot/send?access_token=abc',
      1700000000000,
      'a+b/c=',
    );
    expect(url).toBe(
      'https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp=1700000000000&sign=a%2Bb%2Fc%3D',
    );
    expect(new URL(url).searchParams.get('sign')).toBe('a+b/c=');
  });
});

describe('checkWebhookUrl', () => {
  const allow = ['oapi.dingtalk.com', '127.0.0.1:4000'];

  it('accepts an https webhook on an allow-listed host', () => {
    const r = checkWebhookUrl('https://oapi.dingtalk.com/robot/send?access_token=x', allow);
    expect(r).toMatchObject({ ok: true, host: 'oapi.dingtalk.com' });
  });

  it('refuses hosts outside the allow-list and names the allowed ones', () => {
    const r = checkWebhookUrl('https://evil.example.com/robot/send', allow);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain('oapi.dingtalk.com, 127.0.0.1:4000');
  });

  it('matches ports exactly: an entry without a port allows the default port only', () => {
    expect(checkWebhookUrl('https://oapi.dingtalk.com:8443/robot/send', allow).ok).toBe(false);
    expect(checkWebhookUrl('http://127.0.0.1:4000/robot/send', allow).ok).toBe(true);
    expect(checkWebhookUrl('http://127.0.0.1:4001/robot/send', allow).ok).toBe(false);
  });

  it('requires https except on loopback, and refuses user info and non-URLs', () => {
    expect(checkWebhookUrl('http://oapi.dingtalk.com/robot/send', allow)).toMatchObject({
      ok: false,
      reason: 'webhook must use https',
    });
    expect(checkWebhookUrl('https://u:p@oapi.dingtalk.com/robot/send', allow).ok).toBe(false);
    expect(checkWebhookUrl('not a url', allow).ok).toBe(false);
    expect(checkWebhookUrl('ftp://oapi.dingtalk.com/x', allow).ok).toBe(false);
  });
});

describe('maskWebhookUrl', () => {
  it('keeps only the start of the access token', () => {
    const masked = maskWebhookUrl('https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef');
    expect(masked).toBe('https://oapi.dingtalk.com/robot/send?access_token=012345***');
    expect(masked).not.toContain('6789abcdef');
  });
});

describe('dingTalkMarkdown', () => {
  const message = {
    title: 'Task done',
    markdown: '### Task done',
    text: 'Task done',
    facts: [{ label: 'Failed', value: 'web_01' }],
  };

  it('appends facts and the link, escaping data', () => {
    const out = dingTalkMarkdown({ ...message, link: { label: 'Open', url: 'https://vigil.example/t/1' } });
    expect(out.text).toBe('### Task done\n\n- **Failed**: web\\_01\n\n[Open](https://vigil.example/t/1)');
    expect(out.title).toBe('Task done');
  });

  it('puts the keyword in front when the robot uses keyword security and the text lacks it', () => {
    const out = dingTalkMarkdown(message, 'Vigil');
    expect(out.text.startsWith('Vigil\n\n')).toBe(true);
    expect(out.title).toBe('Vigil Task done');
    expect(
      dingTalkMarkdown({ ...message, markdown: 'Vigil: done' }, 'Vigil').text.startsWith('Vigil: done'),
    ).toBe(true);
  });

  it('cuts text that passes DingTalk’s limit', () => {
    const out = dingTalkMarkdown({
      ...message,
      markdown: 'x'.repeat(DINGTALK_MAX_TEXT_CHARS + 100),
      facts: [],
    });
    expect(out.text.length).toBe(DINGTALK_MAX_TEXT_CHARS);
  });
});

describe('escapeMarkdown', () => {
  it('escapes characters that would format or link', () => {
    expect(escapeMarkdown('*a* _b_ [c](d) <e> `f` #g |h')).toBe(
      '\\*a\\* \\_b\\_ \\[c\\](d) \\<e\\> \\`f\\` \\#g \\|h',
    );
  });
});

describe('ZRecipientsSchema', () => {
  it('lower-cases and accepts up to the maximum', () => {
    expect(ZRecipientsSchema.parse(['Ops@Example.com'])).toEqual(['ops@example.com']);
    const many = Array.from({ length: MAX_EMAIL_RECIPIENTS }, (_, i) => `u${i}@example.com`);
    expect(ZRecipientsSchema.safeParse(many).success).toBe(true);
  });

  it('refuses too many, duplicates, bad addresses and an empty list', () => {
    const tooMany = Array.from({ length: MAX_EMAIL_RECIPIENTS + 1 }, (_, i) => `u${i}@example.com`);
    expect(ZRecipientsSchema.safeParse(tooMany).success).toBe(false);
    expect(ZRecipientsSchema.safeParse(['a@example.com', 'A@example.com']).success).toBe(false);
    expect(ZRecipientsSchema.safeParse(['not-an-address']).success).toBe(false);
    expect(ZRecipientsSchema.safeParse([]).success).toBe(false);
  });
});

describe('sampleMessage', () => {
  it('speaks the channel’s language', () => {
    const at = new Date('2026-01-01T00:00:00Z');
    expect(sampleMessage({ language: 'en', channelName: 'ops', at }).title).toBe('Vigil test notification');
    expect(sampleMessage({ language: 'zh-CN', channelName: 'ops', at }).facts?.[0]).toEqual({
      label: '通知渠道',
      value: 'ops',
    });
  });
});
