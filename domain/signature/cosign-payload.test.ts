import { generateKeyPairSync, createSign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildCosignPayload, checkCosignPayload, cosignCommands, goJsonString } from './cosign-payload.js';
import { parseDigestReference, parseImageReference } from './image-reference.js';

const DIGEST = 'sha256:d34db33fd34db33fd34db33fd34db33fd34db33fd34db33fd34db33fd34db33f';

function ref(input: string) {
  const r = parseDigestReference(input);
  if (!r.ok) throw new Error(r.reason);
  return r.ref;
}

describe('cosign simple-signing payload', () => {
  it('is byte for byte what sigstore payload_test.go expects ("no claims")', () => {
    expect(buildCosignPayload({ image: ref(`example.com/test/image@${DIGEST}`) })).toBe(
      '{"critical":{"identity":{"docker-reference":"example.com/test/image"},"image":{"docker-manifest-digest":"sha256:d34db33fd34db33fd34db33fd34db33fd34db33fd34db33fd34db33fd34db33f"},"type":"cosign container image signature"},"optional":null}',
    );
  });

  it('sorts optional claims by key like Go maps', () => {
    const p = buildCosignPayload({
      image: ref(`example.com/atomic/test/image@${DIGEST}`),
      annotations: { timestamp: '1458239713', creator: 'atomic', 'CamelCase WithSpace': 'x' },
    });
    expect(
      p.endsWith('"optional":{"CamelCase WithSpace":"x","creator":"atomic","timestamp":"1458239713"}}'),
    ).toBe(true);
  });

  it('uses go-containerregistry names: Docker Hub, docker.io alias, tag dropped before the digest, ports', () => {
    expect(ref(`nginx@${DIGEST}`).name).toBe('index.docker.io/library/nginx');
    expect(ref(`docker.io/bitnami/redis@${DIGEST}`).name).toBe('index.docker.io/bitnami/redis');
    expect(ref(`ghcr.io/acme/api:1.2.3@${DIGEST}`).name).toBe('ghcr.io/acme/api');
    expect(ref(`registry.local:5000/team/app@${DIGEST}`).name).toBe('registry.local:5000/team/app');
    expect(ref(`localhost:5000/app@${DIGEST}`).name).toBe('localhost:5000/app');
  });

  it('refuses tags, bad digests and bad repositories with a reason', () => {
    const tagged = parseDigestReference('ghcr.io/acme/api:1.2.3');
    expect(tagged).toMatchObject({ ok: false, tagged: true });
    expect(tagged.ok ? '' : tagged.reason).toMatch(/not pinned by digest.*sign and deploy the digest/);
    expect(parseImageReference('ghcr.io/acme/api@sha256:abc').ok).toBe(false);
    expect(parseImageReference(`ghcr.io/Acme/api@${DIGEST}`).ok).toBe(false);
    expect(parseImageReference(`a@b@${DIGEST}`).ok).toBe(false);
  });

  it('escapes strings as Go encoding/json does', () => {
    expect(goJsonString('a<b>&"\\\n\u2028\u0001')).toBe('"a\\u003cb\\u003e\\u0026\\"\\\\\\n\\u2028\\u0001"');
  });

  it('checks type and digest the way cosign verify does', () => {
    const p = buildCosignPayload({ image: ref(`example.com/test/image@${DIGEST}`) });
    expect(checkCosignPayload(p, DIGEST)).toMatchObject({
      ok: true,
      dockerReference: 'example.com/test/image',
    });
    expect(checkCosignPayload(p, `sha256:${'0'.repeat(64)}`).ok).toBe(false);
    expect(checkCosignPayload(p.replace('cosign container', 'atomic container'), DIGEST).ok).toBe(false);
    expect(checkCosignPayload('{', DIGEST).ok).toBe(false);
  });

  it('signs as RSASSA-PKCS1-v1_5 / SHA-256 that crypto.verify accepts', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const p = Buffer.from(buildCosignPayload({ image: ref(`example.com/test/image@${DIGEST}`) }));
    const sig = createSign('sha256').update(p).sign(privateKey);
    expect(verify('sha256', p, publicKey.export({ type: 'spki', format: 'pem' }), sig)).toBe(true);
  });

  it('writes the cosign CLI lines', () => {
    const c = cosignCommands({ image: ref(`ghcr.io/acme/api:1@${DIGEST}`), signatureBase64: 'c2ln' });
    expect(c.attach).toBe(
      `cosign attach signature --payload payload.json --signature c2ln ghcr.io/acme/api@${DIGEST}`,
    );
    expect(c.verify).toBe(
      `cosign verify --key witness.pem --insecure-ignore-tlog ghcr.io/acme/api@${DIGEST}`,
    );
  });
});
