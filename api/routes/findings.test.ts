import { z } from '@hono/zod-openapi';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_FINDINGS_PER_INGEST, ZVulnerabilityInputSchema } from '../../domain/findings-input.js';
import { contractSuite, errorOf } from '../../test/contract.js';
import { isoTime } from './findings.js';
import { body, type ErrorEnvelope, type Page } from '../../test/harness.js';

interface V {
  id: string;
  assetId: string;
  name: string;
  title: string;
  severity: string;
  status: string;
  fixedAt: string | null;
}

const s = contractSuite({ acct: 'Test account', other: 'Test account' });
let assetIds: string[];

beforeAll(async () => {
  const res = await s.ctx.request('POST', '/v1/assets', {
    key: s.acct.apiKey,
    body: {
      assets: [0, 1, 2].map((i) => ({
        name: `vuln-host-${i}`,
        hostname: `vuln-host-${i}.example`,
        ips: [`10.9.0.${i}`],
        osFamily: 'linux',
        osVersion: 'Ubuntu 22.04',
      })),
    },
  });
  assetIds = (await body<{ ids: string[] }>(res)).ids;
});

const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
const vuln = (assetId: string, i: number, extra: Record<string, unknown> = {}) => ({
  assetId,
  type: 'linux',
  name: `USN-${1000 + i}-1`,
  title: `openssl issue ${i}`,
  cveIds: [`CVE-2024-${1000 + i}`],
  severity: SEVERITIES[i % 4],
  fixable: true,
  packageName: 'openssl',
  installedVersion: '3.0.1',
  fixedVersion: '3.0.2',
  ...extra,
});

async function ingest(items: unknown[], key = s.acct.apiKey) {
  return s.ctx.request('POST', '/v1/vulnerabilities', { key, body: { items } });
}

async function listAll(query: string, key = s.acct.apiKey): Promise<V[]> {
  const out: V[] = [];
  let cursor: string | null = null;
  do {
    const q: string = `/v1/vulnerabilities?${query}&limit=4${cursor ? `&cursor=${cursor}` : ''}`;
    const p = await body<Page<V>>(await s.ctx.request('GET', q, { key }));
    out.push(...p.items);
    cursor = p.nextCursor;
  } while (cursor);
  return out;
}

describe('vulnerabilities', () => {
  it('ingests in one statement: created vs updated, the last of a repeated key wins', async () => {
    const items = assetIds.flatMap((a) => Array.from({ length: 10 }, (_, i) => vuln(a, i)));
    const first = await ingest([...items, vuln(assetIds[0] ?? '', 0, { title: 'last one wins' })]);
    expect(first.status).toBe(200);
    expect(await body<unknown>(first)).toEqual({ created: 30, updated: 0 });
    const firstRows = await listAll(`assetId=${assetIds[0] ?? ''}`);
    expect(firstRows.find((v) => v.name === 'USN-1000-1')?.title).toBe('last one wins');
    const again = await ingest(items.slice(0, 5));
    expect(await body<unknown>(again)).toEqual({ created: 0, updated: 5 });
    const rows = await listAll(`assetId=${assetIds[0] ?? ''}`);
    expect(rows).toHaveLength(10);
    expect(rows.find((v) => v.name === 'USN-1000-1')?.title).toBe('openssl issue 0');
  });

  it('pages every filter in id order, each row once, and only the caller’s rows', async () => {
    const all = await listAll('');
    expect(all).toHaveLength(30);
    expect(all.map((v) => v.id)).toEqual([...all.map((v) => v.id)].sort());
    const critical = await listAll('severity=critical');
    expect(critical.map((v) => v.id)).toEqual(all.filter((v) => v.severity === 'critical').map((v) => v.id));
    const mine = await listAll(`assetId=${assetIds[1] ?? ''}&status=open&severity=high`);
    expect(mine.map((v) => v.id)).toEqual(
      all.filter((v) => v.assetId === assetIds[1] && v.severity === 'high').map((v) => v.id),
    );
    expect(await listAll('', s.other.apiKey)).toEqual([]);
  });

  it('keeps an ignored one ignored, closes a fixed one, and reopens it when seen again', async () => {
    const target = (await listAll(`assetId=${assetIds[2] ?? ''}&severity=critical`)).find(
      (v) => v.name === 'USN-1000-1',
    );
    const patched = await s.ctx.request('PATCH', `/v1/vulnerabilities/${target?.id ?? ''}`, {
      key: s.acct.apiKey,
      body: { status: 'ignored' },
    });
    expect(patched.status).toBe(200);
    await ingest([vuln(assetIds[2] ?? '', 0), vuln(assetIds[2] ?? '', 1, { status: 'fixed' })]);
    const byName = async () =>
      new Map((await listAll(`assetId=${assetIds[2] ?? ''}`)).map((v) => [v.name, v] as const));
    let rows = await byName();
    expect(rows.get('USN-1000-1')?.status).toBe('ignored');
    expect(rows.get('USN-1001-1')?.status).toBe('fixed');
    expect(rows.get('USN-1001-1')?.fixedAt).not.toBeNull();
    await ingest([vuln(assetIds[2] ?? '', 1)]);
    rows = await byName();
    expect(rows.get('USN-1001-1')?.status).toBe('open');
    expect(rows.get('USN-1001-1')?.fixedAt).toBeNull();
  });

  it('ingests every kind in one statement with its text intact (quotes, commas, braces, backslashes, NULL)', async () => {
    const { apiKey: key } = await s.ctx.createAccount();
    const odd = 'a "quoted", {braced} \\ back\\slash NULL';
    const post = (path: string, items: unknown[]) =>
      s.ctx.request('POST', path, { key: key, body: { items } });
    const [asset] = (
      await body<{ ids: string[] }>(
        await s.ctx.request('POST', '/v1/assets', {
          key: key,
          body: {
            assets: [
              {
                name: 'odd-host',
                hostname: 'odd.example',
                ips: ['10.8.0.1'],
                osFamily: 'linux',
                osVersion: 'x',
              },
            ],
          },
        }),
      )
    ).ids;
    const a = asset ?? '';
    const cases: [string, unknown[], (r: Record<string, unknown>) => unknown, unknown][] = [
      [
        '/v1/vulnerabilities',
        [
          vuln(a, 1, {
            name: odd,
            title: odd,
            cveIds: ['CVE-2024-1001', 'CVE-2024-20002'],
            packageName: undefined,
          }),
        ],
        (r) => [r.name, r.title, r.cveIds, r.packageName],
        [odd, odd, ['CVE-2024-1001', 'CVE-2024-20002'], null],
      ],
      [
        '/v1/alerts',
        [
          {
            externalId: odd,
            assetId: a,
            name: odd,
            severity: 'high',
            occurredAt: '2026-01-02T03:04:05.000Z',
          },
          { externalId: 'no-asset', name: 'x', severity: 'low', occurredAt: '2026-01-02T03:04:05.000Z' },
        ],
        (r) => [r.externalId, r.name, r.occurredAt],
        [odd, odd, '2026-01-02T03:04:05.000Z'],
      ],
      [
        '/v1/baseline-risks',
        [{ assetId: a, checkName: odd, severity: 'low' }],
        (r) => [r.checkName, r.category],
        [odd, 'general'],
      ],
      [
        '/v1/attacks',
        [
          {
            externalId: odd,
            assetId: a,
            attackType: odd,
            severity: 'medium',
            blocked: true,
            occurredAt: '2026-01-02T03:04:05.000Z',
          },
        ],
        (r) => [r.externalId, r.attackType, r.blocked, r.sourceIp],
        [odd, odd, true, null],
      ],
    ];
    for (const [path, items, pick, want] of cases) {
      const first = await post(path, items);
      expect(first.status, path).toBe(200);
      expect(await body<unknown>(first), path).toEqual({ created: items.length, updated: 0 });
      const again = await body<unknown>(await post(path, items));
      expect(again, path).toEqual(
        path === '/v1/attacks' ? { created: 0, updated: 0 } : { created: 0, updated: items.length },
      );
      const listed = await body<Page<Record<string, unknown>>>(
        await s.ctx.request('GET', `${path}?limit=500`, { key: key }),
      );
      expect(listed.items.map(pick), path).toContainEqual(want);
    }
  });

  it('refuses another account’s asset and a bad cursor, writing nothing', async () => {
    const res = await ingest([vuln(assetIds[0] ?? '', 99)], s.other.apiKey);
    expect(await errorOf(res)).toEqual({ status: 422, code: 'unprocessable' });
    expect(await listAll('', s.other.apiKey)).toEqual([]);
    const bad = await s.ctx.request('GET', '/v1/vulnerabilities?cursor=garbage', { key: s.acct.apiKey });
    expect(bad.status).toBe(400);
  });
});

describe('an ingest body, validated by zod’s compiled parser', () => {
  /** The body's schema on zod's runtime parser: what the route must accept, produce and refuse. */
  const runtime = z.strictObject({
    items: z.array(ZVulnerabilityInputSchema).min(1).max(MAX_FINDINGS_PER_INGEST),
  });

  it('refuses what the runtime parser refuses, with the same issues', async () => {
    const good = vuln(assetIds[0] ?? '', 500);
    const bodies: unknown[] = [
      { items: [] },
      { items: [good], extra: 1 },
      { items: [{ ...good, assetId: 'not-a-uuid' }] },
      {
        items: [
          { ...good, name: '  ' },
          { ...good, title: 'x'.repeat(501) },
        ],
      },
      { items: [{ ...good, name: 'bell\u0007' }] },
      {
        items: [
          { ...good, cveIds: ['CVE-24-1'] },
          { ...good, kbId: 'KB12' },
          { ...good, severity: 'urgent' },
        ],
      },
      {
        items: [
          { ...good, scannedAt: '0001-01-01T00:00:00+14:00' },
          { ...good, scannedAt: 'yesterday' },
        ],
      },
      { items: [{ ...good, status: 'ignored', fixable: 'yes', packageName: '' }] },
      { items: [{ ...good, unknownField: true }, 7, null] },
    ];
    for (const b of bodies) {
      const res = await s.ctx.request('POST', '/v1/vulnerabilities', { key: s.acct.apiKey, body: b });
      const want = runtime
        .safeParse(b)
        .error?.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
      expect(want, JSON.stringify(b)).toBeDefined();
      expect(res.status, JSON.stringify(b)).toBe(400);
      expect((await body<ErrorEnvelope>(res)).error.details, JSON.stringify(b)).toEqual(want);
    }
  });

  it('writes what the runtime parser produces: trimmed text, defaults filled in', async () => {
    const item = {
      assetId: assetIds[1] ?? '',
      type: 'linux',
      name: '  USN-TRIM-1  ',
      title: '  padded title ',
      severity: 'low',
      installedVersion: ' 1.0 ',
    };
    const want = runtime.parse({ items: [item] }).items[0];
    expect(await body<unknown>(await ingest([item]))).toEqual({ created: 1, updated: 0 });
    const stored = (await listAll(`assetId=${assetIds[1] ?? ''}`)).find((v) => v.name === want?.name) as
      Record<string, unknown> | undefined;
    expect(stored).toMatchObject({
      name: 'USN-TRIM-1',
      title: 'padded title',
      cveIds: [],
      fixable: false,
      status: 'open',
      installedVersion: '1.0',
      packageName: null,
    });
    expect(want).toMatchObject({ name: 'USN-TRIM-1', title: 'padded title', installedVersion: '1.0' });
  });
});

describe('isoTime', () => {
  it('formats as toISOString does: edges of days, months, leap years, the epoch, the last of year 9999, and beyond', () => {
    const times = [0, 1, 999, 1000, 59_999, 86_399_999, 86_400_000, 951_782_400_000, 951_868_799_999];
    times.push(4_107_542_399_999, 253_402_300_799_999, 253_402_300_800_000, -1, -62_198_755_200_000);
    // A deterministic spread over 1970–9999 (a linear congruential walk).
    let x = 12_345;
    for (let i = 0; i < 20_000; i++) {
      x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
      times.push(Math.floor((x / 2_147_483_648) * 253_402_300_800_000));
    }
    for (const t of times) expect(isoTime(new Date(t))).toBe(new Date(t).toISOString());
    expect(() => isoTime(new Date(Number.NaN))).toThrow(RangeError);
  });
});
