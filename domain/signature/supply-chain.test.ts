import { describe, expect, it } from 'vitest';
import { VigilError } from '../errors.js';
import {
  appendCosignSignature,
  COSIGN_MAX_SIGNATURE_LAYERS,
  cosignSignatureTag,
  parseImageManifest,
} from './cosign-registry.js';
import { compileImageScope, globToRegExp, imageInScope } from './image-scope.js';
import { parseAuthChallenge, registryScheme } from './registry-auth.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('cosign registry layout', () => {
  it('names the signature tag sha256-<hex>.sig and refuses other digests', () => {
    expect(cosignSignatureTag(DIGEST)).toBe(`sha256-${'ab'.repeat(32)}.sig`);
    expect(() => cosignSignatureTag('sha512:00')).toThrow();
  });

  it('appends layers, keeps foreign annotations, skips an identical signature', () => {
    const first = appendCosignSignature(null, { payload: Buffer.from('p1'), signatureBase64: 'czE=' });
    const m1 = parseImageManifest(first.manifest);
    // A layer another tool wrote with a certificate annotation must survive the append.
    const l0 = m1?.layers[0];
    if (!m1 || !l0) throw new Error('no manifest');
    l0.annotations = { ...l0.annotations, 'dev.sigstore.cosign/certificate': 'CERT' };
    const second = appendCosignSignature(m1, { payload: Buffer.from('p2'), signatureBase64: 'czI=' });
    const m2 = parseImageManifest(second.manifest);
    expect(m2?.layers.map((l) => l.annotations)).toEqual([
      { 'dev.cosignproject.cosign/signature': 'czE=', 'dev.sigstore.cosign/certificate': 'CERT' },
      { 'dev.cosignproject.cosign/signature': 'czI=' },
    ]);
    expect(second.config).toContain(`"diff_ids":["${l0.digest}",`);
    const third = appendCosignSignature(m2, { payload: Buffer.from('p2'), signatureBase64: 'czI=' });
    expect(third.duplicate).toBe(true);
    expect(parseImageManifest(third.manifest)?.layers).toHaveLength(2);
  });

  it("refuses a signature past cosign's layer limit as a rule (422), keeping the duplicate check first", () => {
    const layer = (i: number) => ({
      mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json',
      size: 2,
      digest: `sha256:${i.toString(16).padStart(64, '0')}`,
      annotations: { 'dev.cosignproject.cosign/signature': `s${i}` },
    });
    const full = {
      schemaVersion: 2,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', size: 2, digest: DIGEST },
      layers: Array.from({ length: COSIGN_MAX_SIGNATURE_LAYERS }, (_, i) => layer(i)),
    };
    let refused: unknown;
    try {
      appendCosignSignature(full, { payload: Buffer.from('p'), signatureBase64: 'czE=' });
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(VigilError);
    expect(refused).toMatchObject({ code: 'unprocessable', isRule: true });
    expect(
      appendCosignSignature(
        { ...full, layers: full.layers.slice(0, -1) },
        {
          payload: Buffer.from('p'),
          signatureBase64: 'czE=',
        },
      ).duplicate,
    ).toBe(false);
  });
});

describe('registry auth challenges', () => {
  it('reads Bearer and Basic challenges', () => {
    expect(
      parseAuthChallenge(
        'Bearer realm="https://auth.example/token",service="reg",scope="repository:a/b:pull"',
      ),
    ).toEqual({
      scheme: 'bearer',
      realm: 'https://auth.example/token',
      service: 'reg',
      scope: 'repository:a/b:pull',
    });
    expect(parseAuthChallenge('Basic realm="vigil-test"')).toEqual({ scheme: 'basic', realm: 'vigil-test' });
    expect(parseAuthChallenge('Negotiate')).toMatchObject({ scheme: 'other' });
  });

  it('speaks plain HTTP only to loopback registries', () => {
    expect(registryScheme('127.0.0.1:5000')).toBe('http');
    expect(registryScheme('localhost:5000')).toBe('http');
    expect(registryScheme('registry.example.com')).toBe('https');
    expect(registryScheme('10.0.0.1:5000')).toBe('https');
  });
});

describe('image scope', () => {
  it('globs: * within a segment, ** across, ? one character; exclusions win', () => {
    expect(globToRegExp('ghcr.io/acme/*').test('ghcr.io/acme/api')).toBe(true);
    expect(globToRegExp('ghcr.io/acme/*').test('ghcr.io/acme/team/api')).toBe(false);
    expect(globToRegExp('ghcr.io/acme/**').test('ghcr.io/acme/team/api')).toBe(true);
    expect(globToRegExp('ghcr.io/acme/ap?').test('ghcr.io/acme/api')).toBe(true);
    expect(globToRegExp('ghcr.io/acme/api').test('ghcrxio/acme/api')).toBe(false);
    const scope = compileImageScope(['ghcr.io/acme/**'], ['ghcr.io/acme/debug-*']);
    expect(imageInScope(scope, 'ghcr.io/acme/api')).toBe(true);
    expect(imageInScope(scope, 'ghcr.io/acme/debug-shell')).toBe(false);
    expect(imageInScope(scope, 'index.docker.io/library/nginx')).toBe(false);
    expect(imageInScope(compileImageScope([], []), 'anything/at/all')).toBe(true);
  });
});
