import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildCosignPayload } from '../../domain/signature/cosign-payload.js';
import { RegistryError } from './registry-client.js';
import { LruTtlCache, RegistryAnswerCache } from './registry-source.js';

describe('registry answer cache', () => {
  it('keeps at most maxEntries, dropping the least recently used, and forgets expired entries', () => {
    let now = 0;
    const cache = new LruTtlCache<string>(2, () => now);
    cache.set('a', 'A', 1000);
    cache.set('b', 'B', 1000);
    expect(cache.get('a')).toBe('A'); // a is now the most recent
    cache.set('c', 'C', 1000);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe('A');
    expect(cache.size).toBe(2);
    now = 1000;
    expect(cache.get('a')).toBeUndefined();
  });
});

describe('registry answers as the cache keeps them', () => {
  const image = { registry: 'registry.example.com', repository: 'team/app' };
  const digest = `sha256:${'a'.repeat(64)}`;
  const acct = '00000000-0000-0000-0000-000000000001';

  it('gives back every signature byte for byte: the canonical payload rebuilt, any other payload kept', () => {
    const cache = new RegistryAnswerCache(10);
    const canonical = {
      keyVersion: null,
      payload: Buffer.from(
        buildCosignPayload({ image: { name: `${image.registry}/${image.repository}`, digest } }),
      ),
      signature: randomBytes(256),
    };
    const annotated = {
      keyVersion: null,
      payload: Buffer.from(
        buildCosignPayload({ image: { name: 'other.example/x', digest }, annotations: { ci: 'é\u0000' } }),
      ),
      signature: randomBytes(512),
    };
    cache.rememberSignatures(acct, image, digest, [canonical]);
    expect(cache.signatures(acct, image, digest)).toEqual({ ok: true, value: [canonical] });
    cache.rememberSignatures(acct, image, digest, [annotated, canonical]);
    expect(cache.signatures(acct, image, digest)).toEqual({ ok: true, value: [annotated, canonical] });
    // Another account's question is not answered from this account's entry.
    expect(cache.signatures('00000000-0000-0000-0000-000000000002', image, digest)).toBeUndefined();
    cache.rememberSignatures(acct, image, digest, []);
    expect(cache.signatures(acct, image, digest)).toEqual({ ok: true, value: [] });
  });

  it('keeps a failure and a tag answer apart from signatures', () => {
    const cache = new RegistryAnswerCache(10);
    const error = new RegistryError('unreachable', 'down');
    cache.rememberFailure(RegistryAnswerCache.signatureKey(acct, image, digest), error);
    expect(cache.signatures(acct, image, digest)).toEqual({ ok: false, error });
    cache.rememberTag(acct, image, 'v1', { digest, platforms: [] });
    cache.rememberTag(acct, image, 'gone', null);
    expect(cache.tag(acct, image, 'v1')).toEqual({ ok: true, value: { digest, platforms: [] } });
    expect(cache.tag(acct, image, 'gone')).toEqual({ ok: true, value: null });
    expect(cache.tag(acct, image, 'never')).toBeUndefined();
  });
});
