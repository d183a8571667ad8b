import { inject } from 'vitest';
import { createAccount } from '../services/accounts/create-account.js';
import { createApp } from '../api/app.js';
import type { Services } from '../platform/services.js';
import type { DatabaseHandle } from '../db/client.js';
import { loadConfig, type Config } from '../platform/config.js';
import { createSecretBox, randomToken } from '../platform/secrets.js';
import type { TemporalClientHandle } from '../platform/temporal.js';
import { startVigil } from '../platform/vigil.js';
import type { VigilWorkers, CreateWorkersOptions } from '../worker/worker.js';
import { createTestDatabase } from './database.js';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface ErrorEnvelope {
  error: { code: string; message: string; requestId: string; details?: unknown };
}

/** Reads a JSON response body as the type the test expects (the route's schema is checked by other tests). */
export async function body<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

/** An answer of the typed test API: the status, the body as the route module's response type, and any error. */
export interface ApiResponse<T> {
  status: number;
  /** The JSON body as the route's exported response type; read it after asserting a 2xx status. */
  body: T;
  /** The error envelope's `error` when the status is 4xx or 5xx, else null. */
  error: ErrorEnvelope['error'] | null;
  headers: Headers;
}

/**
 * Calls as one account's key, typed by the request and response types each route module exports:
 * `api.post<TCreatedEnrollmentToken, TCreateEnrollmentTokenBody>('/v1/agent-enrollment-tokens', { maxUses: 3 })`.
 */
export interface TypedApi {
  get<TRes>(path: string): Promise<ApiResponse<TRes>>;
  post<TRes, TReq = unknown>(path: string, body?: TReq): Promise<ApiResponse<TRes>>;
  put<TRes, TReq = unknown>(path: string, body: TReq): Promise<ApiResponse<TRes>>;
  patch<TRes, TReq = unknown>(path: string, body: TReq): Promise<ApiResponse<TRes>>;
  delete<TRes = undefined>(path: string): Promise<ApiResponse<TRes>>;
}

export function typedApi(ctx: Pick<TestContext, 'request'>, key: string): TypedApi {
  async function call<T>(method: string, path: string, payload?: unknown): Promise<ApiResponse<T>> {
    const res = await ctx.request(method, path, { key, body: payload });
    const text = await res.text();
    const json: unknown = text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
    const error = res.status >= 400 ? ((json as Partial<ErrorEnvelope>).error ?? null) : null;
    return {
      status: res.status,
      body: (res.status === 204 ? undefined : json) as T,
      error,
      headers: res.headers,
    };
  }
  return {
    get: (path) => call('GET', path),
    post: (path, payload) => call('POST', path, payload),
    put: (path, payload) => call('PUT', path, payload),
    patch: (path, payload) => call('PATCH', path, payload),
    delete: (path) => call('DELETE', path),
  };
}

export interface TestAccount {
  accountId: string;
  apiKey: string;
}

export interface TestContext {
  services: Services;
  database: DatabaseHandle;
  temporal: TemporalClientHandle;
  app: ReturnType<typeof createApp>;
  config: Config;
  workers: VigilWorkers | null;
  /** A new tenant with an admin key. */
  createAccount(name?: string): Promise<TestAccount>;
  /** `app.request` with a bearer key and a JSON body. */
  request(
    method: string,
    path: string,
    opts?: { key?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<Response>;
  /** Starts a real HTTP listener on loopback (agents and webhooks need one); returns its base URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

export interface TestContextOptions {
  /** Start the Vigil workers on this file's own task queues. */
  workers?: boolean;
  extraActivities?: CreateWorkersOptions['extraActivities'];
  env?: Record<string, string>;
}

/** A master key fixed for tests; production keys come from VIGIL_MASTER_KEY. */
export const TEST_MASTER_KEY = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

/**
 * Everything one test file needs: its own database, a client of the run's Temporal dev server, its own task
 * queues (so files never take each other's tasks), the app, and optionally running workers.
 */
export async function createTestContext(opts: TestContextOptions = {}): Promise<TestContext> {
  const address = inject('temporalAddress');
  const namespace = inject('temporalNamespace');
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: namespace,
    VIGIL_TASK_QUEUE_PREFIX: `t-${randomToken(10)}`,
    VIGIL_MASTER_KEY: TEST_MASTER_KEY,
    VIGIL_RATE_LIMIT_PER_MINUTE: '100000',
    ...opts.env,
  });
  const vigil = await startVigil({
    roles: opts.workers ? ['api', 'worker'] : ['api'],
    config,
    database: await createTestDatabase(),
    secrets: createSecretBox(Buffer.from(TEST_MASTER_KEY, 'hex')),
    // Each file's own database and task queues; the listener starts when a test asks for it.
    listen: false,
    crossProcessNotifications: false,
    worker: { shutdownGraceTime: '1s', extraActivities: opts.extraActivities },
  });
  const { services, database, temporal, app, workers } = vigil;
  const ctx: TestContext = {
    services,
    database,
    temporal,
    app,
    config,
    workers,
    async createAccount(name = 'Test account') {
      const created = await createAccount(database.db, { name });
      return { accountId: created.account.id, apiKey: created.adminKey.key };
    },
    async request(method, path, r = {}) {
      const headers: Record<string, string> = { ...r.headers };
      if (r.key) headers.authorization = `Bearer ${r.key}`;
      let body: string | undefined;
      if (r.body !== undefined) {
        headers['content-type'] ??= 'application/json';
        body = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
      }
      return app.request(path, { method, headers, body });
    },
    listen: () => vigil.listen({ host: '127.0.0.1', port: 0 }),
    close: () => vigil.stop(),
  };
  return ctx;
}

/** Reports one Linux asset for the account through the API and returns its id (contract tests' fixture). */
export async function reportAsset(
  ctx: TestContext,
  acct: TestAccount,
  name: string,
  ip: string,
): Promise<string> {
  const res = await ctx.request('POST', '/v1/assets', {
    key: acct.apiKey,
    body: { assets: [{ name, hostname: name, ips: [ip], osFamily: 'linux' }] },
  });
  const [id] = (await body<{ ids: string[] }>(res)).ids;
  if (!id) throw new Error('no asset id');
  return id;
}
