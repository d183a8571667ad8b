import { afterAll, beforeAll, expect } from 'vitest';
import { agents } from '../db/schema/agents.js';
import { randomToken } from '../platform/secrets.js';
import {
  body,
  createTestContext,
  type ErrorEnvelope,
  type TestAccount,
  type TestContext,
  type TestContextOptions,
} from './harness.js';

/** What a contract test file shares: its test context and one tenant per name it asked for. */
export type ContractSuite<N extends string> = { ctx: TestContext } & Record<N, TestAccount> & {
    /**
     * Sends a request as `key`, expects `expected` (the failure message carries the body) and returns the body:
     * parsed JSON, or the text when the response is not JSON.
     */
    call<T>(key: string, method: string, path: string, expected: number, payload?: unknown): Promise<T>;
  };

/**
 * The set-up every route's contract test repeats: before the file's tests, one test context and a tenant per entry
 * of `accounts` (field name → account name: the caller's, another account's, …); after them, the context closes.
 * The fields are filled in `beforeAll`, so read them inside tests and hooks, not at module scope. `options` may be a
 * function when it needs something an earlier `beforeAll` made (an SMTP server's URL).
 */
export function contractSuite<N extends string>(
  accounts: Record<N, string>,
  options?: TestContextOptions | (() => TestContextOptions),
): ContractSuite<N> {
  const suite = {
    async call<T>(
      key: string,
      method: string,
      path: string,
      expected: number,
      payload?: unknown,
    ): Promise<T> {
      const res = await suite.ctx.request(method, path, { key, body: payload });
      const text = await res.text();
      expect(res.status, `${method} ${path}: ${text.slice(0, 300)}`).toBe(expected);
      const json = text !== '' && res.headers.get('content-type')?.includes('json');
      return (json ? JSON.parse(text) : text) as T;
    },
  } as ContractSuite<N>;
  beforeAll(async () => {
    const ctx = await createTestContext(typeof options === 'function' ? options() : options);
    suite.ctx = ctx;
    const fields = Object.keys(accounts) as N[];
    const created = await Promise.all(fields.map((field) => ctx.createAccount(accounts[field])));
    fields.forEach((field, i) => {
      const account = created[i];
      if (!account) throw new Error(`account ${field} not created`);
      (suite as Record<N, TestAccount>)[field] = account;
    });
  });
  afterAll(() => suite.ctx?.close());
  return suite;
}

/** A response's status and error code, to compare with `{ status: 404, code: 'not_found' }` in one assertion. */
export async function errorOf(res: Response): Promise<{ status: number; code: string }> {
  return { status: res.status, code: (await body<ErrorEnvelope>(res)).error.code };
}

/** Gives the account's asset an agent row (simulated executor) and returns the agent's id. */
export async function addAgent(
  ctx: TestContext,
  acct: TestAccount,
  assetId: string,
  hostname: string,
): Promise<string> {
  const [agent] = await ctx.database.db
    .insert(agents)
    .values({
      accountId: acct.accountId,
      assetId,
      tokenHash: randomToken(16),
      hostname,
      executor: 'simulate',
    })
    .returning({ id: agents.id });
  if (!agent) throw new Error('no agent');
  return agent.id;
}

/** Creates an account in `admin`'s resource directory (expects 201) and returns it with its admin key. */
export async function createDirectoryMember(
  ctx: TestContext,
  admin: TestAccount,
  name: string,
): Promise<TestAccount & { managed: boolean }> {
  const res = await ctx.request('POST', '/v1/resource-directory/accounts', {
    key: admin.apiKey,
    body: { name },
  });
  const text = await res.text();
  expect(res.status, text).toBe(201);
  const created = JSON.parse(text) as { id: string; adminKey: string; managed: boolean };
  return { accountId: created.id, apiKey: created.adminKey, managed: created.managed };
}

/**
 * A management account ("Management") with a resource directory ("Acme") that manages every account joining it, one
 * member account ("Member") and an enrollment token (10 uses) for the member's agents.
 */
export async function managedMemberWithToken(
  ctx: TestContext,
): Promise<{ mgmt: TestAccount; member: TestAccount; enrollToken: string }> {
  const mgmt = await ctx.createAccount('Management');
  const call = async <T>(method: string, path: string, key: string, payload: unknown): Promise<T> => {
    const res = await ctx.request(method, path, { key, body: payload });
    const text = await res.text();
    expect(res.status, text).toBeLessThan(300);
    return JSON.parse(text) as T;
  };
  await call('POST', '/v1/resource-directory', mgmt.apiKey, { name: 'Acme' });
  await call('PUT', '/v1/multi-account/auto-add', mgmt.apiKey, { enabled: true });
  const member = await createDirectoryMember(ctx, mgmt, 'Member');
  const { token } = await call<{ token: string }>('POST', '/v1/agent-enrollment-tokens', member.apiKey, {
    maxUses: 10,
  });
  return { mgmt, member: { accountId: member.accountId, apiKey: member.apiKey }, enrollToken: token };
}
