import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';
import ts from 'typescript';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES } from '../domain/roles.js';
import { SCAN_CYCLE_DAYS } from '../domain/multi-account/member-settings.js';
import { AUTH_EXTENSION, AUTH_SCHEMES, ROLE_EXTENSION } from '../api/router.js';
import { body, createTestContext, type TestAccount, type TestContext } from './harness.js';

/** The parts of an OpenAPI 3.1 document this test reads. */
interface ResponseObject {
  content?: Record<string, { schema: unknown }>;
}
interface Operation {
  operationId?: string;
  description?: string;
  security?: Record<string, string[]>[];
  [extension: `x-${string}`]: unknown;
}
interface Document {
  paths: Record<string, Record<string, Operation & { responses: Record<string, ResponseObject> }>>;
  components: { securitySchemes: Record<string, unknown> };
}

let ctx: TestContext;
let admin: TestAccount;
let doc: Document;
/** A fresh copy for tools that annotate the document they read. */
const rawDoc = () => JSON.parse(JSON.stringify(doc)) as Record<string, unknown>;

beforeAll(async () => {
  ctx = await createTestContext();
  admin = await ctx.createAccount('OpenAPI');
  const res = await ctx.request('GET', '/openapi.json');
  expect(res.status).toBe(200);
  doc = (await res.json()) as Document;
});
afterAll(() => ctx.close());

const operations = () =>
  Object.entries(doc.paths).flatMap(([p, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ route: `${method.toUpperCase()} ${p}`, op })),
  );

describe('the OpenAPI document', () => {
  it('gives every operation a unique camelCase operationId', () => {
    const ops = operations();
    expect(ops.length).toBeGreaterThan(100);
    const missing = ops
      .filter(({ op }) => !/^[a-z][A-Za-z0-9]*$/.test(op.operationId ?? ''))
      .map((o) => o.route);
    expect(missing).toEqual([]);
    const seen = new Map<string, string>();
    const clashes: string[] = [];
    for (const { route, op } of ops) {
      const id = op.operationId ?? '';
      const other = seen.get(id);
      if (other) clashes.push(`${id}: ${other} and ${route}`);
      seen.set(id, route);
    }
    expect(clashes).toEqual([]);
    expect(seen.get('listAssets')).toBe('GET /v1/assets');
    expect(seen.get('createFixTask')).toBe('POST /v1/playbook/policies/{id}/tasks');
    expect(seen.get('cancelPlaybookTask')).toBe('POST /v1/playbook/tasks/{id}/cancel');
  });

  it('states on every operation how it authenticates, and the least role of every API-key operation', () => {
    for (const { route, op } of operations()) {
      const auth = op[AUTH_EXTENSION];
      expect(AUTH_SCHEMES, route).toContain(auth);
      if (auth === 'apiKey') {
        const role = op[ROLE_EXTENSION];
        expect(ROLES, route).toContain(role);
        expect(op.description, route).toContain(`Least role: \`${String(role)}\``);
        expect(op.security, route).toEqual([{ bearer: [] }]);
      } else {
        expect(op[ROLE_EXTENSION], route).toBeUndefined();
      }
      for (const requirement of op.security ?? []) {
        for (const scheme of Object.keys(requirement))
          expect(doc.components.securitySchemes, route).toHaveProperty(scheme);
      }
    }
    expect(doc.paths['/agent/v1/jobs']?.get?.security).toEqual([{ agentToken: [] }]);
    expect(doc.paths['/admission/v1/validate']?.post?.security).toEqual([{ clusterToken: [] }]);
  });

  it('documents every scan cycle the server accepts', () => {
    const text = JSON.stringify(doc);
    const scanCycles = [...text.matchAll(/"(?:scanCycleDays|cycleDays)":\{[^}]*"enum":(\[[^\]]*\])/g)].map(
      (m) => JSON.parse(m[1] ?? '[]'),
    );
    expect(scanCycles.length).toBeGreaterThanOrEqual(2);
    for (const values of scanCycles) expect(values).toEqual([...SCAN_CYCLE_DAYS]);
  });

  it('has no many-valued zod literal that the generator would shorten to its first value', () => {
    // zod-to-openapi writes `z.literal([a, b])` as `enum: [a]`; such a literal needs `.meta({ enum })`.
    const bad: string[] = [];
    const seen = new Set<unknown>();
    const walk = (node: unknown, where: string): void => {
      if (typeof node !== 'object' || node === null || seen.has(node)) return;
      seen.add(node);
      const zod = (node as { _zod?: { def?: { type?: string; values?: unknown[] } } })._zod;
      if (zod?.def) {
        const { def } = zod;
        if (def.type === 'literal' && (def.values?.length ?? 0) > 1) {
          const meta = (node as { meta?: () => { enum?: unknown[] } | undefined }).meta?.();
          if ((meta?.enum?.length ?? 0) !== def.values?.length)
            bad.push(`${where}: ${JSON.stringify(def.values)}`);
        }
        walk(def, where);
        return;
      }
      for (const value of Array.isArray(node) ? node : Object.values(node)) walk(value, where);
    };
    for (const d of ctx.app.openAPIRegistry.definitions) {
      walk(d, d.type === 'route' ? `${d.route.method} ${d.route.path}` : d.type);
    }
    expect(seen.size).toBeGreaterThan(1000);
    expect(bad).toEqual([]);
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(rawDoc());
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('generates a typed client that compiles against the document (openapi-typescript + tsc)', async () => {
    const types = astToString(await openapiTS(JSON.parse(JSON.stringify(doc)) as OpenAPI3));
    const dir = await mkdtemp(path.join(tmpdir(), 'vigil-client-'));
    try {
      await writeFile(path.join(dir, 'vigil-api.ts'), types);
      // A client's view: operation names, request and response shapes, and the scan cycles the server takes.
      const snippet = `
        import type { operations, paths } from './vigil-api.js';
        type Settings = operations['setMultiAccountMemberSettings']['requestBody']['content']['application/json'];
        const monthly: Settings['vulnerabilityManagement']['scanCycleDays'] = 30;
        const baseline: Settings['baselinePolicies'][number]['cycleDays'] = 3;
        type AssetPage = paths['/v1/assets']['get']['responses'][200]['content']['application/json'];
        const page: AssetPage = { items: [], nextCursor: null };
        type FixTask = operations['createFixTask']['responses'][201]['content']['application/json'];
        const taskId = (t: FixTask): string => t.id;
        type Refused = operations['listAssets']['responses'][403]['content']['application/json'];
        const code: Refused['error']['code'] = 'method_not_allowed';
        export { monthly, baseline, page, taskId, code };
      `;
      await writeFile(path.join(dir, 'client.ts'), snippet);
      const program = ts.createProgram([path.join(dir, 'client.ts')], {
        strict: true,
        noEmit: true,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        target: ts.ScriptTarget.ES2022,
        skipLibCheck: true,
        types: [],
      });
      const diagnostics = ts
        .getPreEmitDiagnostics(program)
        .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      expect(diagnostics).toEqual([]);
      expect(types).toContain('createFixTask: {');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

/** Inlines `#/components/...` references, so Ajv sees one self-contained schema. */
function deref(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(deref);
  if (typeof node !== 'object' || node === null) return node;
  const ref = (node as { $ref?: unknown }).$ref;
  if (typeof ref === 'string') {
    let target: unknown = doc;
    for (const part of ref.replace(/^#\//, '').split('/')) target = (target as Record<string, unknown>)[part];
    return deref(target);
  }
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, deref(v)]));
}

/** The problems of a response against what the document says for its path, method, status and media type. */
async function conformance(path: string, method: string, res: Response): Promise<string[]> {
  const media = (res.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
  const declared = doc.paths[path]?.[method]?.responses[String(res.status)]?.content?.[media];
  if (!declared) return [`${method.toUpperCase()} ${path} ${res.status} ${media}: not documented`];
  const text = await res.text();
  const value: unknown =
    media === 'application/json' ? JSON.parse(text) : media.endsWith('yaml') ? parseYaml(text) : text;
  const ajv = new Ajv2020.default({ strict: false, allErrors: true });
  addFormats.default(ajv);
  const validate = ajv.compile(deref(declared.schema) as object);
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

describe('responses match their documented schemas', () => {
  it('both webhook-config responses (YAML and JSON) are the documented object', async () => {
    const res = await ctx.request('POST', '/v1/clusters', { key: admin.apiKey, body: { name: 'docs' } });
    const { id } = await body<{ id: string }>(res);
    const path = '/v1/clusters/{id}/webhook-config';
    const yaml = await ctx.request('GET', `/v1/clusters/${id}/webhook-config`, { key: admin.apiKey });
    expect(yaml.headers.get('content-type')).toMatch(/^application\/yaml/);
    expect(await conformance(path, 'get', yaml)).toEqual([]);
    const asJson = await ctx.request('GET', `/v1/clusters/${id}/webhook-config?format=json`, {
      key: admin.apiKey,
    });
    expect(await conformance(path, 'get', asJson)).toEqual([]);
  });

  it('a public link without a token answers 400 in the documented error envelope', async () => {
    for (const [method, path] of [
      ['get', '/public/v1/email-recipients/verify'],
      ['post', '/public/v1/unsubscribe'],
    ] as const) {
      const res = await ctx.request(method.toUpperCase(), path);
      expect(res.status).toBe(400);
      expect(await conformance(path, method, res)).toEqual([]);
    }
  });
});

describe('a wrong method on a known path', () => {
  it('answers 405 with Allow listing the methods the path has, in the error envelope', async () => {
    const res = await ctx.request('DELETE', '/v1/assets', { key: admin.apiKey });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD, POST');
    const body = (await res.json()) as { error: { code: string; message: string; requestId: string } };
    expect(body.error.code).toBe('method_not_allowed');
    expect(body.error.message).toContain('GET, HEAD, POST');
    expect(body.error.requestId).toMatch(/\S/);
  });

  it('derives Allow for paths with parameters and for public routes', async () => {
    const one = await ctx.request('PUT', '/v1/playbook/policies/0190f0a0-0000-7000-8000-000000000000', {
      key: admin.apiKey,
      body: {},
    });
    expect(one.status).toBe(405);
    expect(one.headers.get('allow')).toBe('DELETE, GET, HEAD, PATCH');
    const health = await ctx.request('POST', '/healthz');
    expect(health.status).toBe(405);
    expect(health.headers.get('allow')).toBe('GET, HEAD');
  });

  it('still answers 404 for a path no route has, and 401 before 405 without a key', async () => {
    const res = await ctx.request('GET', '/v1/no-such-thing', { key: admin.apiKey });
    expect(res.status).toBe(404);
    expect(res.headers.get('allow')).toBeNull();
    // A trailing slash is another path (routes are strict), not a wrong method.
    expect((await ctx.request('GET', '/v1/assets/', { key: admin.apiKey })).status).toBe(404);
    expect((await ctx.request('DELETE', '/v1/assets')).status).toBe(401);
  });
});
