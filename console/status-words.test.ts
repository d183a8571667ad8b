import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestAccount, type TestContext } from '../test/harness.js';
import { STATUS_VALUES, statusWord } from './status-words.js';
import { consoleSession, type ConsoleTestSession } from './test-session.js';

/** zh-CN pages show status words in Chinese: none of the API's English status values leaks into the text. */
let ctx: TestContext;
let account: TestAccount;
let zh: ConsoleTestSession;

beforeAll(async () => {
  ctx = await createTestContext();
  account = await ctx.createAccount('Status words');
  await ctx.request('POST', '/v1/api-keys', {
    key: account.apiKey,
    body: { name: 'read only', role: 'viewer' },
  });
  await ctx.request('POST', '/v1/email-recipients', {
    key: account.apiKey,
    body: { email: 'ops@example.com' },
  });
  zh = await consoleSession(ctx, account.apiKey, 'zh-CN');
});
afterAll(async () => {
  await ctx?.close();
});

/** A page's visible text: no script, no tags (attribute values such as class names are not shown), no data. */
const visibleText = (html: string) =>
  html
    // The name the account's first key was given at creation: data, not a word of the console.
    .replaceAll('default admin key', ' ')
    .replace(/<script[\s\S]*?<\/script>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&[a-z]+;/g, ' ');

/** The English status words (the API's values and their English labels) found in a text, as whole words. */
function englishStatusWords(text: string): string[] {
  const words = new Set(STATUS_VALUES.flatMap((v) => [v, statusWord('en', v)]));
  return [...words].filter((w) =>
    new RegExp(`(?<![\\w-])${w.replace(/[-]/g, '\\-')}(?![\\w-])`, 'i').test(text),
  );
}

describe('status words in zh-CN', () => {
  it('has a Chinese word for every status value the console shows', () => {
    const untranslated = STATUS_VALUES.filter((v) =>
      /[A-Za-z]{3}/.test(statusWord('zh-CN', v).replace('Agent', '')),
    );
    expect(untranslated).toEqual([]);
  });

  it.each([
    '/console/playbook/tasks',
    '/console/reports/recipients',
    '/console/api-keys',
    '/console/assets',
    '/console/signature/decisions',
    '/console/signature/policies',
  ])('renders %s in zh-CN with no English status word', async (path) => {
    const res = await zh.get(path);
    expect(res.status).toBe(200);
    expect(englishStatusWords(visibleText(await res.text()))).toEqual([]);
  });
});
