import { describe, expect, it } from 'vitest';
import { notificationText, renderNotificationEmail, stableMessageId } from './email.js';

const message = {
  title: 'Task <b>ended</b> & failed',
  markdown: '',
  text: 'First paragraph.\n\nweb-01 failed: <script>alert(1)</script>',
  facts: [{ label: 'Failed', value: 'web-01 "db"' }],
  link: { label: 'Open', url: 'https://vigil.example/t?a=1&b=2' },
};

describe('notification e-mail', () => {
  it('renders valid MJML with every piece of data escaped', async () => {
    const mail = await renderNotificationEmail(message, 'en');
    expect(mail.subject).toBe(message.title);
    expect(mail.html).toContain('lang="en"');
    expect(mail.html).toContain('Task &lt;b&gt;ended&lt;/b&gt; &amp; failed');
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('web-01 &quot;db&quot;');
    expect(mail.html).toContain('href="https://vigil.example/t?a=1&amp;b=2"');
    expect(mail.html).toContain('Vigil security operations');
  });

  it('uses the channel language for the static words and drops non-http links', async () => {
    const mail = await renderNotificationEmail(
      { ...message, link: { label: 'x', url: 'javascript:alert(1)' } },
      'zh-CN',
    );
    expect(mail.html).toContain('lang="zh-CN"');
    expect(mail.html).toContain('Vigil 安全运营');
    expect(mail.html).not.toContain('javascript:');
  });

  it('has a plain-text part with the same content', () => {
    expect(notificationText(message, 'en')).toBe(
      'Task <b>ended</b> & failed\n\nFirst paragraph.\n\nweb-01 failed: <script>alert(1)</script>\n\nFailed: web-01 "db"\n\n' +
        'Open: https://vigil.example/t?a=1&b=2\n\n--\nYou receive this because you are a recipient of a Vigil notification channel.\n',
    );
  });

  it('gives every retry of one delivery the same Message-ID', () => {
    const a = stableMessageId({ channelId: 'c', dedupeKey: 'k', domain: 'vigil.example' });
    expect(a).toBe(stableMessageId({ channelId: 'c', dedupeKey: 'k', domain: 'vigil.example' }));
    expect(a).not.toBe(stableMessageId({ channelId: 'c', dedupeKey: 'k2', domain: 'vigil.example' }));
    expect(a).toMatch(/^<notify\.[0-9a-f]{40}@vigil\.example>$/);
  });
});
