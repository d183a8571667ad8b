import {
  MANIFEST_ACCEPT,
  sha256Digest,
  OCI_MANIFEST_MEDIA_TYPE,
} from '../../domain/signature/cosign-registry.js';
import { parseAuthChallenge, registryScheme, repositoryScope } from '../../domain/signature/registry-auth.js';
import {
  REGISTRY_MAX_BODY_BYTES,
  REGISTRY_REQUEST_TIMEOUT_MS,
} from '../../domain/signature/registry-rules.js';

export interface RegistryCredential {
  username: string;
  password: string;
}

export type RegistryErrorKind = 'unreachable' | 'timeout' | 'unauthorized' | 'protocol';

/** A registry could not answer the question (as opposed to answering "not found"). */
export class RegistryError extends Error {
  override name = 'RegistryError';
  constructor(
    readonly kind: RegistryErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ManifestAnswer {
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

export interface RegistryClientOptions {
  /** `host[:port]` as image references name it. */
  registry: string;
  credential?: RegistryCredential | null;
  timeoutMs?: number;
}

/** Refreshed a little before the registry's `expires_in` so a token never expires in flight. */
const TOKEN_EARLY_REFRESH_MS = 10_000;
/** distribution's default when a token answer has no `expires_in` (token.md: "defaults to 60 seconds"). */
const DEFAULT_TOKEN_SECONDS = 60;

/**
 * A small OCI Distribution API client (spec v1.1): manifests (HEAD/GET/PUT), blobs (GET, monolithic POST+PUT
 * upload), Basic auth and the Bearer token flow from the registry's `WWW-Authenticate` challenge. Every request
 * has a timeout; a caller's `signal` (an admission deadline) aborts it sooner.
 */
export class RegistryClient {
  readonly registry: string;
  private readonly base: string;
  private readonly credential: RegistryCredential | null;
  private readonly timeoutMs: number;
  /** scope → Authorization header value (Basic applies to every scope). */
  private readonly auth = new Map<string, { header: string; expiresAt: number }>();
  private basic: string | null = null;

  constructor(opts: RegistryClientOptions) {
    this.registry = opts.registry;
    this.base = `${registryScheme(opts.registry)}://${opts.registry}`;
    this.credential = opts.credential ?? null;
    this.timeoutMs = opts.timeoutMs ?? REGISTRY_REQUEST_TIMEOUT_MS;
  }

  /** The manifest a reference (tag or digest) names, or null when the registry says it does not exist. */
  async manifest(
    repository: string,
    reference: string,
    opts: { signal?: AbortSignal; method?: 'GET' | 'HEAD' } = {},
  ): Promise<ManifestAnswer | null> {
    const method = opts.method ?? 'GET';
    const res = await this.send(repository, 'pull', `/v2/${repository}/manifests/${reference}`, {
      method,
      headers: { accept: MANIFEST_ACCEPT },
      signal: opts.signal,
    });
    if (res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    if (res.status !== 200) throw await this.unexpected(res, `${method} manifest ${repository}:${reference}`);
    const bytes = method === 'GET' ? await this.read(res) : Buffer.alloc(0);
    const header = res.headers.get('docker-content-digest');
    const digest = method === 'GET' ? sha256Digest(bytes) : header;
    if (!digest)
      throw new RegistryError('protocol', `the registry sent no digest for ${repository}:${reference}`);
    if (method === 'GET' && reference.startsWith('sha256:') && digest !== reference)
      throw new RegistryError('protocol', `the registry sent a manifest whose digest is not ${reference}`);
    return { digest, mediaType: res.headers.get('content-type') ?? OCI_MANIFEST_MEDIA_TYPE, bytes };
  }

  /** A blob's bytes, checked against its digest. */
  async blob(repository: string, digest: string, opts: { signal?: AbortSignal } = {}): Promise<Buffer> {
    const res = await this.send(repository, 'pull', `/v2/${repository}/blobs/${digest}`, {
      method: 'GET',
      signal: opts.signal,
    });
    if (res.status !== 200) throw await this.unexpected(res, `GET blob ${repository}@${digest}`);
    const bytes = await this.read(res);
    if (sha256Digest(bytes) !== digest)
      throw new RegistryError('protocol', `blob ${digest} of ${repository} does not match its digest`);
    return bytes;
  }

  /** Uploads a blob unless the repository has it (HEAD), as one monolithic POST + PUT. */
  async pushBlob(repository: string, bytes: Buffer, opts: { signal?: AbortSignal } = {}): Promise<string> {
    const digest = sha256Digest(bytes);
    const head = await this.send(repository, 'pull,push', `/v2/${repository}/blobs/${digest}`, {
      method: 'HEAD',
      signal: opts.signal,
    });
    await head.body?.cancel();
    if (head.status === 200) return digest;
    const start = await this.send(repository, 'pull,push', `/v2/${repository}/blobs/uploads/`, {
      method: 'POST',
      signal: opts.signal,
    });
    await start.body?.cancel();
    const location = start.headers.get('location');
    if (start.status !== 202 || !location)
      throw await this.unexpected(start, `POST blob upload ${repository}`);
    // The Location may be relative and already carries query parameters (distribution adds `_state`).
    const url = new URL(location, this.base);
    url.searchParams.set('digest', digest);
    const put = await this.send(repository, 'pull,push', url.toString(), {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
      signal: opts.signal,
    });
    await put.body?.cancel();
    if (put.status !== 201) throw await this.unexpected(put, `PUT blob ${repository}@${digest}`);
    return digest;
  }

  /** Puts a manifest under a tag or its digest; returns its digest. */
  async putManifest(
    repository: string,
    reference: string,
    bytes: Buffer,
    mediaType: string,
    opts: { signal?: AbortSignal } = {},
  ): Promise<string> {
    const res = await this.send(repository, 'pull,push', `/v2/${repository}/manifests/${reference}`, {
      method: 'PUT',
      headers: { 'content-type': mediaType },
      body: bytes,
      signal: opts.signal,
    });
    await res.body?.cancel();
    if (res.status !== 201) throw await this.unexpected(res, `PUT manifest ${repository}:${reference}`);
    return sha256Digest(bytes);
  }

  private async send(
    repository: string,
    actions: 'pull' | 'pull,push',
    pathOrUrl: string,
    init: { method: string; headers?: Record<string, string>; body?: Buffer; signal?: AbortSignal },
  ): Promise<Response> {
    const scope = repositoryScope(repository, actions);
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${this.base}${pathOrUrl}`;
    const attempt = (authorization: string | null) =>
      this.fetch(url, {
        method: init.method,
        headers: { ...init.headers, ...(authorization ? { authorization } : {}) },
        body: init.body,
        signal: init.signal,
      });
    const res = await attempt(this.authorizationFor(scope));
    if (res.status !== 401) return res;
    await res.body?.cancel();
    const challenge = parseAuthChallenge(res.headers.get('www-authenticate') ?? '');
    const authorization = await this.answer(challenge, scope, init.signal);
    const retry = await attempt(authorization);
    if (retry.status === 401 || retry.status === 403) {
      await retry.body?.cancel();
      throw new RegistryError(
        'unauthorized',
        `${this.registry} refused ${this.credential ? `the credential of "${this.credential.username}"` : 'anonymous access'} for ${scope}`,
      );
    }
    return retry;
  }

  private authorizationFor(scope: string): string | null {
    if (this.basic) return this.basic;
    const hit = this.auth.get(scope);
    return hit && hit.expiresAt > Date.now() ? hit.header : null;
  }

  private async answer(
    challenge: ReturnType<typeof parseAuthChallenge>,
    scope: string,
    signal: AbortSignal | undefined,
  ): Promise<string> {
    const basic = this.credential
      ? `Basic ${Buffer.from(`${this.credential.username}:${this.credential.password}`).toString('base64')}`
      : null;
    if (challenge.scheme === 'basic') {
      if (!basic)
        throw new RegistryError('unauthorized', `${this.registry} needs a credential (Basic auth); add one`);
      this.basic = basic;
      return basic;
    }
    if (challenge.scheme !== 'bearer')
      throw new RegistryError(
        'unauthorized',
        `${this.registry} asks for an unsupported authentication scheme`,
      );
    const tokenUrl = new URL(challenge.realm);
    if (challenge.service) tokenUrl.searchParams.set('service', challenge.service);
    tokenUrl.searchParams.set('scope', scope);
    const res = await this.fetch(tokenUrl.toString(), {
      method: 'GET',
      headers: basic ? { authorization: basic } : {},
      signal,
    });
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new RegistryError('unauthorized', `the token service of ${this.registry} answered ${res.status}`);
    }
    const body = JSON.parse((await this.read(res)).toString()) as {
      token?: unknown;
      access_token?: unknown;
      expires_in?: unknown;
    };
    const token = typeof body.token === 'string' ? body.token : body.access_token;
    if (typeof token !== 'string' || token === '')
      throw new RegistryError('protocol', `the token service of ${this.registry} sent no token`);
    const seconds = typeof body.expires_in === 'number' ? body.expires_in : DEFAULT_TOKEN_SECONDS;
    const header = `Bearer ${token}`;
    this.auth.set(scope, { header, expiresAt: Date.now() + seconds * 1000 - TOKEN_EARLY_REFRESH_MS });
    return header;
  }

  private async fetch(
    url: string,
    init: { method: string; headers: Record<string, string>; body?: Buffer; signal?: AbortSignal },
  ): Promise<Response> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = init.signal ? AbortSignal.any([timeout, init.signal]) : timeout;
    try {
      return await fetch(url, { ...init, signal, redirect: 'follow' });
    } catch (err) {
      if (timeout.aborted || init.signal?.aborted)
        throw new RegistryError('timeout', `${this.registry} did not answer in time`, { cause: err });
      const code = (err as { cause?: { code?: unknown } }).cause?.code;
      throw new RegistryError(
        'unreachable',
        `${this.registry} is unreachable${typeof code === 'string' ? ` (${code})` : ''}`,
        { cause: err },
      );
    }
  }

  private async read(res: Response): Promise<Buffer> {
    const length = Number(res.headers.get('content-length') ?? '0');
    if (length > REGISTRY_MAX_BODY_BYTES) {
      await res.body?.cancel();
      throw new RegistryError('protocol', `${this.registry} sent ${length} bytes, more than Vigil reads`);
    }
    try {
      const bytes = Buffer.from(await res.arrayBuffer());
      if (bytes.length > REGISTRY_MAX_BODY_BYTES)
        throw new RegistryError('protocol', `${this.registry} sent more bytes than Vigil reads`);
      return bytes;
    } catch (err) {
      if (err instanceof RegistryError) throw err;
      throw new RegistryError('timeout', `${this.registry} stopped sending`, { cause: err });
    }
  }

  private async unexpected(res: Response, what: string): Promise<RegistryError> {
    // The body only adds detail to an error already being reported; a broken body leaves the status to say it.
    const text = await res.text().catch(() => '');
    const detail = text.slice(0, 300).replace(/\s+/g, ' ');
    return new RegistryError(
      res.status >= 500 ? 'unreachable' : 'protocol',
      `${this.registry}: ${what} answered ${res.status}${detail ? `: ${detail}` : ''}`,
    );
  }
}
