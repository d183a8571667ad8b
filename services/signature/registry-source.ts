import type { Executor } from '../../db/client.js';
import { isIndexMediaType, parseIndexManifests } from '../../domain/signature/cosign-registry.js';
import { REGISTRY_CACHE_MAX_ENTRIES, REGISTRY_CACHE_TTL_MS } from '../../domain/signature/registry-rules.js';
import type { SecretBox } from '../../platform/secrets.js';
import { RegistryClient, RegistryError } from './registry-client.js';
import { loadRegistryCredential, registryCredentialChanges } from './registry-credential-views.js';
import { readCosignSignatures } from './registry-signatures.js';
import type { CandidateSignature } from './verify-signatures.js';

/** A least-recently-used map whose entries also expire; bounded by entry count. */
export class LruTtlCache<V> {
  private readonly map = new Map<string, { value: V; expiresAt: number }>();
  constructor(
    readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string): V | undefined {
    const hit = this.map.get(key);
    if (!hit) return undefined;
    if (hit.expiresAt <= this.now()) {
      this.map.delete(key);
      return undefined;
    }
    // Re-inserting moves the key to the end: Map iteration order is the recency order.
    this.map.delete(key);
    this.map.set(key, hit);
    return hit.value;
  }

  set(key: string, value: V, ttlMs: number): void {
    this.map.delete(key);
    this.map.set(key, { value, expiresAt: this.now() + ttlMs });
    while (this.map.size > this.maxEntries) {
      const oldest = this.map.keys().next();
      if (oldest.done) break;
      this.map.delete(oldest.value);
    }
  }

  get size(): number {
    return this.map.size;
  }

  clear(): void {
    this.map.clear();
  }

  delete(key: string): void {
    this.map.delete(key);
  }
}

export interface RegistryImage {
  registry: string;
  repository: string;
}

export type Lookup<T> = { ok: true; value: T } | { ok: false; error: RegistryError };

/** How long a replica keeps a registry client (and the credential it was made with) before reading it again. */
const CLIENT_TTL_MS = 60_000;

/**
 * Registry answers for admission and verification, per account (each account reads with its own credential, and
 * one account's access never answers another's question). Signatures found, "no signatures", a tag's digest and a
 * registry failure are each cached with their own TTL in one bounded LRU; concurrent questions for the same key
 * share one request.
 */
export class RegistrySignatureSource {
  private readonly cache: LruTtlCache<Lookup<unknown>>;
  private readonly inflight = new Map<string, Promise<Lookup<unknown>>>();
  private readonly clients = new Map<string, { client: RegistryClient; expiresAt: number; seen: number }>();

  constructor(
    private readonly db: Executor,
    private readonly secrets: SecretBox,
    private readonly opts: { maxEntries?: number; timeoutMs?: number } = {},
  ) {
    this.cache = new LruTtlCache(opts.maxEntries ?? REGISTRY_CACHE_MAX_ENTRIES);
  }

  get cachedEntries(): number {
    return this.cache.size;
  }

  /** Forgets every cached answer (tests, and after an operator pushes signatures by hand and wants them now). */
  clear(): void {
    this.cache.clear();
    this.clients.clear();
  }

  async client(accountId: string, registry: string): Promise<RegistryClient> {
    const key = `${accountId}|${registry}`;
    const seen = registryCredentialChanges(accountId);
    const hit = this.clients.get(key);
    if (hit && hit.expiresAt > Date.now() && hit.seen === seen) return hit.client;
    const credential = await loadRegistryCredential(this.db, this.secrets, { accountId, registry });
    const client = new RegistryClient({ registry, credential, timeoutMs: this.opts.timeoutMs });
    if (this.clients.size > 10_000) this.clients.clear();
    this.clients.set(key, { client, expiresAt: Date.now() + CLIENT_TTL_MS, seen });
    return client;
  }

  /** cosign signatures stored next to `image@digest`. */
  signatures(
    accountId: string,
    image: RegistryImage,
    digest: string,
    signal?: AbortSignal,
  ): Promise<Lookup<CandidateSignature[]>> {
    return this.cached(
      `sig|${accountId}|${image.registry}/${image.repository}|${digest}`,
      (v) => (v.length > 0 ? REGISTRY_CACHE_TTL_MS.signatures : REGISTRY_CACHE_TTL_MS.noSignatures),
      async () => {
        const client = await this.client(accountId, image.registry);
        return readCosignSignatures(client, { repository: image.repository, digest }, { signal });
      },
    );
  }

  /** Forgets what was cached about an image's signatures (after Vigil wrote one there). */
  forgetSignatures(accountId: string, image: RegistryImage, digest: string): void {
    this.cache.delete(`sig|${accountId}|${image.registry}/${image.repository}|${digest}`);
  }

  /** The digest a tag names now (null: no such tag), and its platform manifests when it is an index. */
  resolveTag(
    accountId: string,
    image: RegistryImage,
    tag: string,
    signal?: AbortSignal,
  ): Promise<Lookup<{ digest: string; platforms: string[] } | null>> {
    return this.cached(
      `tag|${accountId}|${image.registry}/${image.repository}|${tag}`,
      () => REGISTRY_CACHE_TTL_MS.tag,
      async () => {
        const client = await this.client(accountId, image.registry);
        const m = await client.manifest(image.repository, tag, { signal });
        if (!m) return null;
        return {
          digest: m.digest,
          platforms: isIndexMediaType(m.mediaType) ? (parseIndexManifests(m.bytes) ?? []) : [],
        };
      },
    );
  }

  private async cached<T>(
    key: string,
    ttl: (value: T) => number,
    load: () => Promise<T>,
  ): Promise<Lookup<T>> {
    const hit = this.cache.get(key) as Lookup<T> | undefined;
    if (hit) return hit;
    const running = this.inflight.get(key) as Promise<Lookup<T>> | undefined;
    if (running) return running;
    const work = (async (): Promise<Lookup<T>> => {
      try {
        const value = await load();
        const answer: Lookup<T> = { ok: true, value };
        this.cache.set(key, answer, ttl(value));
        return answer;
      } catch (err) {
        if (!(err instanceof RegistryError)) throw err;
        const answer: Lookup<T> = { ok: false, error: err };
        // Remembered briefly so that, during an outage, Pods do not each wait for the registry's timeout.
        this.cache.set(key, answer, REGISTRY_CACHE_TTL_MS.failure);
        return answer;
      } finally {
        this.inflight.delete(key);
      }
    })();
    this.inflight.set(key, work);
    return work;
  }
}

const sources = new WeakMap<object, RegistrySignatureSource>();

/** One source (and cache) per database handle in this process, like the admission engine. */
export function registrySourceFor(services: {
  db: Executor & object;
  secrets: SecretBox;
}): RegistrySignatureSource {
  let source = sources.get(services.db);
  if (!source) {
    source = new RegistrySignatureSource(services.db, services.secrets);
    sources.set(services.db, source);
  }
  return source;
}
