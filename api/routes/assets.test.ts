import { describe, expect, it } from 'vitest';
import { contractSuite, errorOf } from '../../test/contract.js';
import { fewestStatements } from '../../test/database.js';
import { body, type ErrorEnvelope, type Page } from '../../test/harness.js';

interface A {
  name: string;
  groups: { id: string; name: string }[];
}
type AssetPage = Page<A>;

const s = contractSuite({ acct: 'Test account' });

const host = (i: number) => ({
  name: `web-${String(i).padStart(3, '0')}`,
  hostname: `web-${i}.prod.example`,
  ips: [`10.0.${Math.floor(i / 250)}.${i % 250}`],
  osFamily: 'linux' as const,
  osVersion: 'Ubuntu 22.04',
  groups: i % 2 === 0 ? ['even', 'web'] : ['web'],
});

describe('assets', () => {
  it('bulk upserts idempotently and reports created vs updated', async () => {
    const assets = Array.from({ length: 120 }, (_, i) => host(i));
    const first = await s.ctx.request('POST', '/v1/assets', { key: s.acct.apiKey, body: { assets } });
    expect(first.status).toBe(200);
    expect(await body<unknown>(first)).toMatchObject({ created: 120, updated: 0 });
    const again = await s.ctx.request('POST', '/v1/assets', { key: s.acct.apiKey, body: { assets } });
    expect(await body<unknown>(again)).toMatchObject({ created: 0, updated: 120 });
  });

  it('finds assets by name substring, by fuzzy name only when nothing contains the search, by IP and by group', async () => {
    const byName = await body<AssetPage>(
      await s.ctx.request('GET', '/v1/assets?search=web-007', { key: s.acct.apiKey }),
    );
    // A substring hit: the one asset whose name contains the search, without the many names that resemble it.
    expect(byName.items.map((a) => a.name)).toEqual(['web-007']);
    expect(byName.items[0]?.groups.map((g) => g.name)).toEqual(['web']);
    const prefix = await body<AssetPage>(
      await s.ctx.request('GET', '/v1/assets?search=WEB-00', { key: s.acct.apiKey }),
    );
    expect(prefix.items.map((a) => a.name).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => host(i).name),
    );
    // A fuzzy hit: nothing contains the typo, so the names that resemble it answer, the closest first.
    const typo = await body<AssetPage>(
      await s.ctx.request('GET', '/v1/assets?search=wbe-007', { key: s.acct.apiKey }),
    );
    expect(typo.items[0]?.name).toBe('web-007');
    const near = await body<AssetPage>(
      await s.ctx.request('GET', '/v1/assets?search=web-07x&limit=500', { key: s.acct.apiKey }),
    );
    expect(
      near.items
        .slice(0, 10)
        .map((a) => a.name)
        .sort(),
    ).toEqual(Array.from({ length: 10 }, (_, i) => host(70 + i).name));
    // None: neither contained nor similar.
    const none = await body<AssetPage>(
      await s.ctx.request('GET', '/v1/assets?search=zzz-nothing', { key: s.acct.apiKey }),
    );
    expect(none).toEqual({ items: [], nextCursor: null });
    const byIp = await body<AssetPage>(
      await s.ctx.request('GET', '/v1/assets?search=10.0.0.42', { key: s.acct.apiKey }),
    );
    expect(byIp.items).toHaveLength(1);
    expect(byIp.items[0]?.name).toBe('web-042');

    const groups = await body<Page<{ id: string; name: string }>>(
      await s.ctx.request('GET', '/v1/asset-groups', { key: s.acct.apiKey }),
    );
    const even = groups.items.find((g) => g.name === 'even');
    const seen = new Set<string>();
    let cursor: string | null = null;
    do {
      const q: string = `/v1/assets?groupId=${even?.id ?? ''}&limit=25${cursor ? `&cursor=${cursor}` : ''}`;
      const p = await body<AssetPage>(await s.ctx.request('GET', q, { key: s.acct.apiKey }));
      for (const a of p.items) {
        seen.add(a.name);
        // Every asset of a page carries its own groups, by name.
        expect(a.groups.map((g) => g.name)).toEqual(['even', 'web']);
      }
      cursor = p.nextCursor;
    } while (cursor);
    expect(even).toBeDefined();
    expect(seen.size).toBe(60);
    const unfiltered = await body<AssetPage & { items: (A & { id: string })[] }>(
      await s.ctx.request('GET', '/v1/assets?limit=4', { key: s.acct.apiKey }),
    );
    const parity = (name: string) => (Number(name.slice(4)) % 2 === 0 ? ['even', 'web'] : ['web']);
    expect(unfiltered.items.map((a) => a.groups.map((g) => g.name))).toEqual(
      unfiltered.items.map((a) => parity(a.name)),
    );
    const detail = await body<A>(
      await s.ctx.request('GET', `/v1/assets/${unfiltered.items[1]?.id ?? ''}`, { key: s.acct.apiKey }),
    );
    expect(detail.groups.map((g) => g.name)).toEqual(parity(unfiltered.items[1]?.name ?? ''));
  });

  it('reads a page or an asset in one statement, each asset with its groups by name ([] for none)', async () => {
    const named = (name: string, groups?: string[]) => ({
      ...host(0),
      name,
      hostname: `${name}.example`,
      groups,
    });
    const put = await s.ctx.request('POST', '/v1/assets', {
      key: s.acct.apiKey,
      body: { assets: [named('grouped-host', ['zeta', 'Alpha', 'mid']), named('groupless-host')] },
    });
    expect(put.status).toBe(200);
    const get = async <T>(path: string) => {
      let res: Response | undefined;
      const statements = await fewestStatements(
        s.ctx.database,
        async () => {
          res = await s.ctx.request('GET', path, { key: s.acct.apiKey });
          expect(res.status, path).toBe(200);
        },
        1,
      );
      return { statements, value: await body<T>(res ?? new Response()) };
    };
    await get('/v1/assets?limit=1'); // the API key is looked up once, then cached
    const groupsOf = (items: A[]) => Object.fromEntries(items.map((a) => [a.name, a.groups]));
    const search = await get<Page<A & { id: string }>>('/v1/assets?search=oup');
    expect(search.statements).toBe(1);
    const byName = groupsOf(search.value.items);
    expect(byName['grouped-host']?.map((g) => g.name)).toEqual(['Alpha', 'mid', 'zeta']);
    expect(byName['groupless-host']).toEqual([]);
    const groupIds = await get<Page<{ id: string; name: string }>>('/v1/asset-groups?limit=200');
    const idOf = new Map(groupIds.value.items.map((g) => [g.name, g.id]));
    expect(byName['grouped-host']).toEqual(
      ['Alpha', 'mid', 'zeta'].map((name) => ({ id: idOf.get(name), name })),
    );

    const all = await get<Page<A & { id: string }>>('/v1/assets?limit=500');
    expect(all.statements).toBe(1);
    expect(groupsOf(all.value.items.filter((a) => a.name.endsWith('-host')))).toEqual(byName);
    const cursorOf = async (path: string) =>
      encodeURIComponent((await get<Page<A>>(path)).value.nextCursor ?? '');
    const idOfAsset = (name: string) => search.value.items.find((a) => a.name === name)?.id ?? '';
    for (const path of [
      `/v1/assets?limit=5&cursor=${await cursorOf('/v1/assets?limit=2')}`,
      `/v1/assets?groupId=${idOf.get('mid') ?? ''}&os=linux&agentStatus=none`,
      `/v1/assets?search=oup&limit=1&cursor=${await cursorOf('/v1/assets?search=oup&limit=1')}`,
      `/v1/assets/${idOfAsset('grouped-host')}`,
    ]) {
      expect((await get(path)).statements, path).toBe(1);
    }
    // A search no name contains: the substring statement finds nothing, the fuzzy one answers.
    const typo = await get<Page<A>>('/v1/assets?search=gruopless-host');
    expect(typo.value.items[0]?.name).toBe('groupless-host');
    expect(typo.statements).toBeLessThanOrEqual(2);
    expect((await get<A>(`/v1/assets/${idOfAsset('grouped-host')}`)).value.groups).toEqual(
      byName['grouped-host'],
    );
    expect((await get<A>(`/v1/assets/${idOfAsset('groupless-host')}`)).value.groups).toEqual([]);
  });

  it('pages a search in exactly the order of one large page, substring and fuzzy alike', async () => {
    for (const term of ['web-01', 'web-007', '10.0.0.4', 'web-07x']) {
      const all = await body<AssetPage>(
        await s.ctx.request('GET', `/v1/assets?search=${term}&limit=500`, { key: s.acct.apiKey }),
      );
      const paged: string[] = [];
      let cursor: string | null = null;
      do {
        const q: string = `/v1/assets?search=${term}&limit=3${cursor ? `&cursor=${cursor}` : ''}`;
        const p = await body<AssetPage>(await s.ctx.request('GET', q, { key: s.acct.apiKey }));
        paged.push(...p.items.map((a) => a.name));
        cursor = p.nextCursor;
      } while (cursor);
      expect(all.nextCursor).toBeNull();
      expect(new Set(paged).size).toBe(paged.length);
      expect(paged).toEqual(all.items.map((a) => a.name));
    }
  });

  it('ranks an exact name, hostname or IP first, then the closest substring matches', async () => {
    const put = await s.ctx.request('POST', '/v1/assets', {
      key: s.acct.apiKey,
      body: {
        assets: [
          { ...host(0), name: 'cachet-primary', hostname: 'cachet-primary.example', ips: ['10.9.0.1'] },
          { ...host(0), name: 'node-17', hostname: 'cachet', ips: ['10.9.0.2'] },
          { ...host(0), name: 'cachet-1', hostname: 'cachet-1.example', ips: ['10.9.0.3'] },
        ],
      },
    });
    expect(put.status).toBe(200);
    const page = await body<AssetPage>(
      await s.ctx.request('GET', '/v1/assets?search=CACHET', { key: s.acct.apiKey }),
    );
    // The hostname is the search exactly, though its name shares no trigram with it; then by name similarity.
    expect(page.items.map((a) => a.name)).toEqual(['node-17', 'cachet-1', 'cachet-primary']);
  });

  it('treats hostile search strings literally', async () => {
    for (const term of ['%', '_', "'; drop table assets; --", '\\', '%%%___']) {
      const res = await s.ctx.request('GET', `/v1/assets?search=${encodeURIComponent(term)}`, {
        key: s.acct.apiKey,
      });
      expect(res.status).toBe(200);
      expect((await body<AssetPage>(res)).items.length).toBeLessThan(120);
    }
  });

  it('rejects bad input with the error envelope and writes nothing', async () => {
    const cases: [string, unknown, number][] = [
      ['{not json', undefined, 400],
      [JSON.stringify({ assets: [{ ...host(999), osFamily: 'beos' }] }), undefined, 400],
      [JSON.stringify({ assets: [{ ...host(999), surprise: 1 }] }), undefined, 400],
      [JSON.stringify({ assets: [] }), undefined, 400],
    ];
    for (const [payload, , status] of cases) {
      const res = await s.ctx.request('POST', '/v1/assets', { key: s.acct.apiKey, body: payload });
      expect(res.status).toBe(status);
      const envelope = await body<ErrorEnvelope>(res);
      expect(envelope.error.code).toBe('bad_request');
      expect(envelope.error.requestId).toBeTruthy();
    }
    const res = await s.ctx.request('GET', '/v1/assets?search=web-999', { key: s.acct.apiKey });
    expect((await body<AssetPage>(res)).items.map((a) => a.name)).not.toContain('web-999');
    expect((await s.ctx.request('GET', '/v1/assets?cursor=garbage', { key: s.acct.apiKey })).status).toBe(
      400,
    );
    expect((await s.ctx.request('GET', '/v1/assets/not-a-uuid', { key: s.acct.apiKey })).status).toBe(400);
    expect(
      (await s.ctx.request('GET', '/v1/assets/0190f1c2-0000-7000-8000-000000000000', { key: s.acct.apiKey }))
        .status,
    ).toBe(404);
  });

  it('returns 413 for an oversize body', async () => {
    const big = 'x'.repeat(s.ctx.config.VIGIL_MAX_BODY_BYTES + 10);
    const res = await s.ctx.request('POST', '/v1/assets', {
      key: s.acct.apiKey,
      body: JSON.stringify({ assets: [{ name: big }] }),
    });
    expect(await errorOf(res)).toEqual({ status: 413, code: 'payload_too_large' });
  });
});
