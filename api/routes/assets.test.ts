import { describe, expect, it } from 'vitest';
import { contractSuite, errorOf } from '../../test/contract.js';
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
