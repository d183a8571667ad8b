import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createSign, randomUUID, X509Certificate } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import { promisify } from 'node:util';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { sha256Digest } from '../domain/signature/cosign-registry.js';

/** Debian's `docker-registry` package (CNCF distribution 2.8), installed by `.ci/run`. */
export const DOCKER_REGISTRY_BIN = process.env.DOCKER_REGISTRY_BIN ?? '/usr/bin/docker-registry';

export interface TestRegistry {
  /** `127.0.0.1:<port>`, as image references name it. */
  host: string;
  url: string;
  credential: { username: string; password: string } | null;
  stop(): Promise<void>;
  /** Starts it again on the same port and storage (after `stop`, to end an outage). */
  start(): Promise<void>;
  /** Stops it for good and removes its storage. */
  dispose(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * A real registry on loopback with filesystem storage in a temporary folder; with `basicAuth` it wants an
 * htpasswd (bcrypt) user, as a private registry does.
 */
export async function startTestRegistry(
  opts: { basicAuth?: boolean; tokenAuth?: TokenService } = {},
): Promise<TestRegistry> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-registry-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const credential = opts.basicAuth
    ? { username: 'ci-signer', password: `pw-${port}` }
    : (opts.tokenAuth?.credential ?? null);
  let auth = '';
  if (credential) {
    const hash = bcrypt.hashSync(credential.password, 6);
    await writeFile(path.join(dir, 'htpasswd'), `${credential.username}:${hash}\n`);
    auth = `auth:\n  htpasswd:\n    realm: vigil-test\n    path: ${path.join(dir, 'htpasswd')}\n`;
  }
  if (opts.tokenAuth) {
    const t = opts.tokenAuth;
    auth = `auth:\n  token:\n    realm: ${t.realm}\n    service: ${t.service}\n    issuer: ${t.issuer}\n    rootcertbundle: ${t.certPath}\n`;
  }
  const config = path.join(dir, 'config.yml');
  await writeFile(
    config,
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${path.join(dir, 'data')}\n  delete:\n    enabled: true\nhttp:\n  addr: ${host}\n${auth}`,
  );
  let child: ChildProcess | null = null;
  const url = `http://${host}`;
  const start = async () => {
    const proc = spawn(DOCKER_REGISTRY_BIN, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`docker-registry exited: ${stderr}`);
      const up = await fetch(`${url}/v2/`).then(
        (r) => r.status === 200 || r.status === 401,
        () => false,
      );
      if (up) return;
      if (Date.now() > deadline) throw new Error(`docker-registry did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = async () => {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    });
  };
  await start();
  return {
    host,
    url,
    credential,
    start,
    stop,
    async dispose() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function authHeaders(r: TestRegistry): Record<string, string> {
  return r.credential
    ? {
        authorization: `Basic ${Buffer.from(`${r.credential.username}:${r.credential.password}`).toString('base64')}`,
      }
    : {};
}

/** One monolithic blob upload (POST, then PUT to the Location with the digest). */
async function pushBlobByHand(r: TestRegistry, repository: string, bytes: Buffer) {
  const headers = authHeaders(r);
  const digest = sha256Digest(bytes);
  const start = await fetch(`${r.url}/v2/${repository}/blobs/uploads/`, { method: 'POST', headers });
  const location = start.headers.get('location');
  if (start.status !== 202 || !location) throw new Error(`upload start ${start.status}`);
  const u = new URL(location, r.url);
  u.searchParams.set('digest', digest);
  const put = await fetch(u, {
    method: 'PUT',
    headers: { ...headers, 'content-type': 'application/octet-stream' },
    body: bytes,
  });
  if (put.status !== 201) throw new Error(`upload ${put.status} ${await put.text()}`);
  return { digest, size: bytes.length };
}

/**
 * Pushes a tiny image (one layer, one config) straight through the Distribution API, like `crane` would, and
 * returns its manifest digest. `tag` also tags it.
 */
export async function pushTestImage(
  r: TestRegistry,
  repository: string,
  opts: { tag?: string; content?: string } = {},
): Promise<string> {
  const pushBlob = (bytes: Buffer) => pushBlobByHand(r, repository, bytes);
  const layer = await pushBlob(Buffer.from(opts.content ?? `layer of ${repository} ${Math.random()}`));
  const config = await pushBlob(
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: [layer.digest] },
        config: {},
      }),
    ),
  );
  return putTestManifest(
    r,
    repository,
    {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
    },
    opts.tag,
  );
}

/** PUTs a manifest by digest (and under `tag`); returns its digest. */
export async function putTestManifest(
  r: TestRegistry,
  repository: string,
  manifest: { mediaType: string } & Record<string, unknown>,
  tag?: string,
): Promise<string> {
  const headers = authHeaders(r);
  const bytes = Buffer.from(JSON.stringify(manifest));
  const digest = sha256Digest(bytes);
  for (const ref of [digest, ...(tag ? [tag] : [])]) {
    const res = await fetch(`${r.url}/v2/${repository}/manifests/${ref}`, {
      method: 'PUT',
      headers: { ...headers, 'content-type': manifest.mediaType },
      body: bytes,
    });
    if (res.status !== 201) throw new Error(`manifest ${res.status} ${await res.text()}`);
  }
  return digest;
}

/**
 * Writes a signature next to an image as `cosign sign --key` does, built here by hand (not with Vigil's code):
 * payload blob, config blob, manifest under `sha256-<hex>.sig` with the signature annotation.
 */
export async function pushCosignSignatureByHand(
  r: TestRegistry,
  repository: string,
  digest: string,
  payload: string,
  signatureBase64: string,
): Promise<void> {
  const headers = authHeaders(r);
  const blob = (bytes: Buffer) => pushBlobByHand(r, repository, bytes);

  const layer = await blob(Buffer.from(payload));
  const config = await blob(
    Buffer.from(
      JSON.stringify({
        architecture: '',
        created: '0001-01-01T00:00:00Z',
        history: [{ created: '0001-01-01T00:00:00Z' }],
        os: '',
        rootfs: { type: 'layers', diff_ids: [layer.digest] },
        config: {},
      }),
    ),
  );
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [
      {
        mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json',
        ...layer,
        annotations: { 'dev.cosignproject.cosign/signature': signatureBase64 },
      },
    ],
  };
  const res = await fetch(`${r.url}/v2/${repository}/manifests/${digest.replace(':', '-')}.sig`, {
    method: 'PUT',
    headers: { ...headers, 'content-type': manifest.mediaType },
    body: JSON.stringify(manifest),
  });
  if (res.status !== 201) throw new Error(`manifest ${res.status} ${await res.text()}`);
}

export interface TokenService {
  realm: string;
  service: string;
  issuer: string;
  certPath: string;
  credential: { username: string; password: string };
  /** The scopes tokens were asked for, in order. */
  scopes: string[];
  close(): Promise<void>;
}

/**
 * A registry token service (distribution `docs/spec/auth/token.md`): checks Basic credentials, answers
 * `{token, expires_in}` with an RS256 JWT whose `x5c` header carries a self-signed certificate the registry trusts
 * (`rootcertbundle`), granting what the scope asks for.
 */
export async function startTokenService(): Promise<TokenService> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-token-'));
  const keyPath = path.join(dir, 'token.key');
  const certPath = path.join(dir, 'token.crt');
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    keyPath,
    '-out',
    certPath,
    '-days',
    '1',
    '-subj',
    '/CN=vigil-test-token',
  ]);
  const key = await readFile(keyPath, 'utf8');
  const certDer = new X509Certificate(await readFile(certPath)).raw.toString('base64');
  const credential = { username: 'token-user', password: `pw-${randomUUID()}` };
  const service = 'vigil-test-registry';
  const issuer = 'vigil-test-issuer';
  const scopes: string[] = [];
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const server = createHttpServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const basic = `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`;
    if (req.headers.authorization !== basic) {
      res.writeHead(401).end();
      return;
    }
    const scope = url.searchParams.get('scope') ?? '';
    scopes.push(scope);
    const [type, name, actions] = scope.split(':');
    const now = Math.floor(Date.now() / 1000);
    const header = b64({ alg: 'RS256', typ: 'JWT', x5c: [certDer] });
    const claims = b64({
      iss: issuer,
      sub: credential.username,
      aud: url.searchParams.get('service'),
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: randomUUID(),
      access: type === 'repository' ? [{ type, name, actions: (actions ?? '').split(',') }] : [],
    });
    const signature = createSign('sha256').update(`${header}.${claims}`).sign(key).toString('base64url');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token: `${header}.${claims}.${signature}`, expires_in: 300 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return {
    realm: `http://127.0.0.1:${address.port}/token`,
    service,
    issuer,
    certPath,
    credential,
    scopes,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
