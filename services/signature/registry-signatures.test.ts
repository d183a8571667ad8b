import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIMPLE_SIGNING_MEDIA_TYPE } from '../../domain/signature/cosign-payload.js';
import {
  startTestRegistry,
  startTokenService,
  type TestRegistry,
  type TokenService,
} from '../../test/registry.js';
import { RegistryClient, RegistryError } from './registry-client.js';
import { readCosignSignatures, writeCosignSignature } from './registry-signatures.js';

/** sigstore `pkg/signature/payload/payload_test.go` ("no claims"), with the repository on the test registry. */
const VECTOR_DIGEST = 'sha256:d34db33fd34db33fd34db33fd34db33fd34db33fd34db33fd34db33fd34db33f';
const vector = (name: string) =>
  `{"critical":{"identity":{"docker-reference":"${name}"},"image":{"docker-manifest-digest":"${VECTOR_DIGEST}"},"type":"cosign container image signature"},"optional":null}`;

let open: TestRegistry;
let locked: TestRegistry;

beforeAll(async () => {
  [open, locked] = await Promise.all([startTestRegistry(), startTestRegistry({ basicAuth: true })]);
});
afterAll(async () => {
  await Promise.all([open?.dispose(), locked?.dispose()]);
});

async function rawManifest(r: TestRegistry, repo: string, ref: string) {
  const res = await fetch(`${r.url}/v2/${repo}/manifests/${ref}`, {
    headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
  });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

describe("signatures in the registry, cosign's layout", () => {
  it('writes tag sha256-<hex>.sig: an OCI manifest, a simple-signing layer with the signature annotation, the payload bytes as signed', async () => {
    const client = new RegistryClient({ registry: open.host });
    const payload = Buffer.from(vector(`${open.host}/test/image`));
    const written = await writeCosignSignature(
      client,
      { repository: 'test/image', digest: VECTOR_DIGEST },
      { payload, signatureBase64: 'c2lnLW9uZQ==' },
    );
    expect(written).toMatchObject({ tag: `sha256-${VECTOR_DIGEST.slice(7)}.sig`, duplicate: false });

    const m = await rawManifest(open, 'test/image', written.tag);
    expect(m.status).toBe(200);
    expect(m.type).toBe('application/vnd.oci.image.manifest.v1+json');
    const manifest = JSON.parse(m.body) as {
      config: { mediaType: string; size: number; digest: string };
      layers: { mediaType: string; size: number; digest: string; annotations: Record<string, string> }[];
    };
    expect(manifest.config).toMatchObject({
      mediaType: 'application/vnd.oci.image.config.v1+json',
      size: 233,
    });
    expect(manifest.layers).toEqual([
      {
        mediaType: SIMPLE_SIGNING_MEDIA_TYPE,
        size: payload.length,
        digest: `sha256:${createHash('sha256').update(payload).digest('hex')}`,
        annotations: { 'dev.cosignproject.cosign/signature': 'c2lnLW9uZQ==' },
      },
    ]);
    const blob = await fetch(`${open.url}/v2/test/image/blobs/${manifest.layers[0]?.digest}`);
    expect(await blob.text()).toBe(vector(`${open.host}/test/image`));
    const config = await (await fetch(`${open.url}/v2/test/image/blobs/${manifest.config.digest}`)).text();
    expect(config).toBe(
      `{"architecture":"","created":"0001-01-01T00:00:00Z","history":[{"created":"0001-01-01T00:00:00Z"}],"os":"","rootfs":{"type":"layers","diff_ids":["${manifest.layers[0]?.digest}"]},"config":{}}`,
    );
  });

  it('appends a second signature without dropping the first, and writes the same signature once', async () => {
    const client = new RegistryClient({ registry: open.host });
    const image = { repository: 'test/append', digest: VECTOR_DIGEST };
    const payload = Buffer.from(vector(`${open.host}/test/append`));
    await writeCosignSignature(client, image, { payload, signatureBase64: 'Zmlyc3Q=' });
    await writeCosignSignature(client, image, { payload, signatureBase64: 'c2Vjb25k' });
    const again = await writeCosignSignature(client, image, { payload, signatureBase64: 'c2Vjb25k' });
    expect(again.duplicate).toBe(true);
    const read = await readCosignSignatures(client, image);
    expect(read.map((s) => s.signature.toString())).toEqual(['first', 'second']);
    expect(read.every((s) => s.payload.equals(payload))).toBe(true);
    // The config lists one diff_id per layer, as go-containerregistry's append does.
    const m = JSON.parse((await rawManifest(open, 'test/append', again.tag)).body) as {
      config: { digest: string };
    };
    const config = JSON.parse(
      await (await fetch(`${open.url}/v2/test/append/blobs/${m.config.digest}`)).text(),
    ) as { rootfs: { diff_ids: string[] }; history: unknown[] };
    expect(config.rootfs.diff_ids).toHaveLength(2);
    expect(config.history).toHaveLength(2);
  });

  it('reads no signatures where there is no .sig tag', async () => {
    const client = new RegistryClient({ registry: open.host });
    expect(await readCosignSignatures(client, { repository: 'test/none', digest: VECTOR_DIGEST })).toEqual(
      [],
    );
  });

  it('uses Basic auth with a credential and says "unauthorized" without one', async () => {
    const image = { repository: 'team/app', digest: VECTOR_DIGEST };
    const payload = Buffer.from(vector(`${locked.host}/team/app`));
    const anonymous = new RegistryClient({ registry: locked.host });
    const err = await readCosignSignatures(anonymous, image).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err).toMatchObject({ kind: 'unauthorized' });
    const wrong = new RegistryClient({
      registry: locked.host,
      credential: { username: 'ci-signer', password: 'no' },
    });
    await expect(readCosignSignatures(wrong, image)).rejects.toMatchObject({ kind: 'unauthorized' });
    const signer = new RegistryClient({ registry: locked.host, credential: locked.credential });
    await writeCosignSignature(signer, image, { payload, signatureBase64: 'c2ln' });
    expect((await readCosignSignatures(signer, image)).map((s) => s.payload.toString())).toEqual([
      payload.toString(),
    ]);
  });

  it('follows the Bearer token flow of a token-auth registry: token per scope, pull,push to write', async () => {
    const tokens: TokenService = await startTokenService();
    const registry = await startTestRegistry({ tokenAuth: tokens });
    try {
      const image = { repository: 'team/tokens', digest: VECTOR_DIGEST };
      const payload = Buffer.from(vector(`${registry.host}/team/tokens`));
      const anonymous = new RegistryClient({ registry: registry.host });
      await expect(readCosignSignatures(anonymous, image)).rejects.toMatchObject({ kind: 'unauthorized' });
      const signer = new RegistryClient({ registry: registry.host, credential: tokens.credential });
      await writeCosignSignature(signer, image, { payload, signatureBase64: 'dG9rZW4=' });
      expect((await readCosignSignatures(signer, image)).map((s) => s.signature.toString())).toEqual([
        'token',
      ]);
      expect(new Set(tokens.scopes)).toEqual(
        new Set(['repository:team/tokens:pull', 'repository:team/tokens:pull,push']),
      );
      // Tokens are reused for their lifetime: one per scope, not one per request.
      expect(tokens.scopes.length).toBeLessThanOrEqual(3);
    } finally {
      await registry.dispose();
      await tokens.close();
    }
  });

  it('fails fast and says so when the registry is down or too slow', async () => {
    const down = new RegistryClient({ registry: '127.0.0.1:1', timeoutMs: 500 });
    await expect(
      readCosignSignatures(down, { repository: 'a/b', digest: VECTOR_DIGEST }),
    ).rejects.toMatchObject({
      kind: 'unreachable',
    });
    const aborted = AbortSignal.abort();
    const client = new RegistryClient({ registry: open.host });
    await expect(
      readCosignSignatures(client, { repository: 'a/b', digest: VECTOR_DIGEST }, { signal: aborted }),
    ).rejects.toMatchObject({ kind: 'timeout' });
  });
});
