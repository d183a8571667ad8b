import type { Executor } from '../../db/client.js';
import { buildCosignPayload } from '../../domain/signature/cosign-payload.js';
import { isIndexMediaType, parseIndexManifests } from '../../domain/signature/cosign-registry.js';
import { REGISTRY_CACHE_MAX_ENTRIES, REGISTRY_CACHE_TTL_MS } from '../../domain/signature/registry-rules.js';
import type { SecretBox } from '../../platform/secrets.js';
import { RegistryClient, RegistryError } from './registry-client.js';
import { loadRegistryCredential, registryCredentialChanges } from './registry-credential-views.js';
import { readCosignSignatures } from './registry-signatures.js';
import type { CandidateSignature } from './verify-signatures.js';

/** A key built by concatenation is a tree of pieces, each kept alive by it; stored, it is one flat string. */
const flat = (key: string): string => Buffer.from(key).toString();

/**
 * A least-recently-used map whose entries also expire; bounded by entry count. Expiry times are kept in
 * milliseconds since the cache was made, which V8 stores inline (a small integer) for the first 12 days rather
 * than as a boxed number per entry.
 */
export class LruTtlCache<V> {
  private readonly map = new Map<string, { value: V; expiresAt: number }>();
  private readonly epoch: number;
  constructor(
    readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {
    this.epoch = now();
  }

  get(key: string): V | undefined {
    const hit = this.map.get(key);
    if (!hit) return undefined;
    if (hit.expiresAt <= this.now() - this.epoch) {
      this.map.delete(key);
      return undefined;
    }
    // Re-inserting moves the key to the end: Map iteration order is the recency order.
    this.map.delete(key);
    this.map.set(flat(key), hit);
    return hit.value;
  }

  set(key: string, value: V, ttlMs: number): void {
    this.map.delete(key);
    this.map.set(flat(key), { value, expiresAt: this.now() - this.epoch + ttlMs });
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

/**
 * One signature as the registry cache keeps it: a one-byte string (no Buffer objects per entry) of a marker, the
 * signature's length and bytes, then the payload's bytes — left out when the payload is the one `cosign sign`
 * writes for this very image and digest (nearly always), and rebuilt from them when read.
 */
type PackedSignature = string;
const CANONICAL = 'c';
const VERBATIM = 'v';

function packSignature(c: CandidateSignature, canonical: string): PackedSignature {
  const verbatim = c.payload.toString('latin1') !== canonical;
  const length = c.signature.length;
  // Written into one buffer and read out as one flat string: concatenating would keep a tree of pieces alive.
  const packed = Buffer.allocUnsafe(3 + length + (verbatim ? c.payload.length : 0));
  packed[0] = (verbatim ? VERBATIM : CANONICAL).charCodeAt(0);
  packed[1] = length >> 8;
  packed[2] = length & 0xff;
  c.signature.copy(packed, 3);
  if (verbatim) c.payload.copy(packed, 3 + length);
  return packed.toString('latin1');
}

function unpackSignature(packed: PackedSignature, canonical: () => string): CandidateSignature {
  const length = (packed.charCodeAt(1) << 8) | packed.charCodeAt(2);
  return {
    keyVersion: null,
    signature: Buffer.from(packed.slice(3, 3 + length), 'latin1'),
    payload: Buffer.from(packed[0] === CANONICAL ? canonical() : packed.slice(3 + length), 'latin1'),
  };
}

/** What is cached per key: the packed answer, or the registry's failure. */
type Cached = PackedSignature | PackedSignature[] | TagAnswer | null | RegistryError;
type TagAnswer = { digest: string; platforms: string[] };

/**
 * The registry answers of one process in one bounded LRU: signatures found (packed), "no signatures", a tag's
 * digest, and failures, each with its TTL. Admission reads it only on a verdict-cache miss.
 */
export class RegistryAnswerCache {
  private readonly cache: LruTtlCache<Cached>;
  constructor(maxEntries: number = REGISTRY_CACHE_MAX_ENTRIES) {
    this.cache = new LruTtlCache(maxEntries);
  }

  get size(): number {
    return this.cache.size;
  }

  clear(): void {
    this.cache.clear();
  }

  static signatureKey(accountId: string, image: RegistryImage, digest: string): string {
    return `sig|${accountId}|${image.registry}/${image.repository}|${digest}`;
  }

  static tagKey(accountId: string, image: RegistryImage, tag: string): string {
    return `tag|${accountId}|${image.registry}/${image.repository}|${tag}`;
  }

  /** Stores the signatures found next to `image@digest` (an empty list: none), as admission keeps them. */
  rememberSignatures(
    accountId: string,
    image: RegistryImage,
    digest: string,
    found: CandidateSignature[],
  ): void {
    const canonical = buildCosignPayload({
      image: { name: `${image.registry}/${image.repository}`, digest },
    });
    const packed = found.map((c) => packSignature(c, canonical));
    this.cache.set(
      RegistryAnswerCache.signatureKey(accountId, image, digest),
      packed.length === 1 ? (packed[0] ?? null) : packed,
      found.length > 0 ? REGISTRY_CACHE_TTL_MS.signatures : REGISTRY_CACHE_TTL_MS.noSignatures,
    );
  }

  signatures(
    accountId: string,
    image: RegistryImage,
    digest: string,
  ): Lookup<CandidateSignature[]> | undefined {
    const hit = this.cache.get(RegistryAnswerCache.signatureKey(accountId, image, digest));
    if (hit === undefined) return undefined;
    if (hit instanceof RegistryError) return { ok: false, error: hit };
    const canonical = () =>
      buildCosignPayload({ image: { name: `${image.registry}/${image.repository}`, digest } });
    const packed = typeof hit === 'string' ? [hit] : Array.isArray(hit) ? hit : [];
    return { ok: true, value: packed.map((p) => unpackSignature(p, canonical)) };
  }

  forgetSignatures(accountId: string, image: RegistryImage, digest: string): void {
    this.cache.delete(RegistryAnswerCache.signatureKey(accountId, image, digest));
  }

  rememberTag(accountId: string, image: RegistryImage, tag: string, answer: TagAnswer | null): void {
    this.cache.set(RegistryAnswerCache.tagKey(accountId, image, tag), answer, REGISTRY_CACHE_TTL_MS.tag);
  }

  tag(accountId: string, image: RegistryImage, tag: string): Lookup<TagAnswer | null> | undefined {
    const hit = this.cache.get(RegistryAnswerCache.tagKey(accountId, image, tag));
    if (hit === undefined) return undefined;
    if (hit instanceof RegistryError) return { ok: false, error: hit };
    return { ok: true, value: hit === null || (typeof hit === 'object' && 'digest' in hit) ? hit : null };
  }

  /** Remembered briefly so that, during an outage, Pods do not each wait for the registry's timeout. */
  rememberFailure(key: string, error: RegistryError): void {
    this.cache.set(key, error, REGISTRY_CACHE_TTL_MS.failure);
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
  private readonly cache: RegistryAnswerCache;
  private readonly inflight = new Map<string, Promise<Lookup<unknown>>>();
  private readonly clients = new Map<string, { client: RegistryClient; expiresAt: number; seen: number }>();

  constructor(
    private readonly db: Executor,
    private readonly secrets: SecretBox,
    private readonly opts: { maxEntries?: number; timeoutMs?: number } = {},
  ) {
    this.cache = new RegistryAnswerCache(opts.maxEntries ?? REGISTRY_CACHE_MAX_ENTRIES);
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
    const hit = this.cache.signatures(accountId, image, digest);
    if (hit) return Promise.resolve(hit);
    return this.shared(RegistryAnswerCache.signatureKey(accountId, image, digest), async () => {
      const client = await this.client(accountId, image.registry);
      const found = await readCosignSignatures(client, { repository: image.repository, digest }, { signal });
      this.cache.rememberSignatures(accountId, image, digest, found);
      return found;
    });
  }

  /** Forgets what was cached about an image's signatures (after Vigil wrote one there). */
  forgetSignatures(accountId: string, image: RegistryImage, digest: string): void {
    this.cache.forgetSignatures(accountId, image, digest);
  }

  /** The digest a tag names now (null: no such tag), and its platform manifests when it is an index. */
  resolveTag(
    accountId: string,
    image: RegistryImage,
    tag: string,
    signal?: AbortSignal,
  ): Promise<Lookup<TagAnswer | null>> {
    const hit = this.cache.tag(accountId, image, tag);
    if (hit) return Promise.resolve(hit);
    return this.shared(RegistryAnswerCache.tagKey(accountId, image, tag), async () => {
      const client = await this.client(accountId, image.registry);
      const m = await client.manifest(image.repository, tag, { signal });
      const answer = m
        ? {
            digest: m.digest,
            platforms: isIndexMediaType(m.mediaType) ? (parseIndexManifests(m.bytes) ?? []) : [],
          }
        : null;
      this.cache.rememberTag(accountId, image, tag, answer);
      return answer;
    });
  }

  /** Concurrent questions for the same key share one request; a registry failure is cached briefly. */
  private async shared<T>(key: string, load: () => Promise<T>): Promise<Lookup<T>> {
    const running = this.inflight.get(key) as Promise<Lookup<T>> | undefined;
    if (running) return running;
    const work = (async (): Promise<Lookup<T>> => {
      try {
        return { ok: true, value: await load() };
      } catch (err) {
        if (!(err instanceof RegistryError)) throw err;
        this.cache.rememberFailure(key, err);
        return { ok: false, error: err };
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
