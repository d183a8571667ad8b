import { createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { RegistryAnswerCache } from '../../services/signature/registry-source.js';
import { buildCosignPayload } from '../../domain/signature/cosign-payload.js';
import { REGISTRY_CACHE_MAX_ENTRIES } from '../../domain/signature/registry-rules.js';
import { podReview } from '../../test/admission-review.js';
import { pushCosignSignatureByHand, pushTestImage, startTestRegistry } from '../../test/registry.js';
import { percentile, progress, round } from '../progress.js';

/**
 * Admission of Pods whose images are signed only in their registry (cosign's `.sig` tags, a CI key Vigil holds
 * as a public-key witness), on a real docker-registry on loopback:
 * - warm: the same Pod again (verdicts and registry answers cached);
 * - cold: every Pod with 10 images never seen, so each image costs its registry round trips (GET `.sig`
 *   manifest, GET payload blob);
 * - the registry cache's memory at 100,000 digests, each holding one signature as admission stores it.
 */
export async function registryFigures(opts: {
  containers: number;
  warm: number;
  /** Requests before the warm figures, as every other measured phase has (JIT, pools, cache filled). */
  warmup: number;
  cold: number;
  api: <T>(method: string, p: string, body?: unknown) => Promise<{ status: number; body: T }>;
  clusterId: string;
  postReview: (review: Buffer) => Promise<string>;
  log: (line: string) => void;
}) {
  const registry = await startTestRegistry();
  try {
    const keys = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    const witness = await opts.api<{ id: string }>('POST', '/v1/signature/witnesses', {
      name: 'bench-ci',
      key: { type: 'publicKey', pem: keys.publicKey },
    });
    const policy = await opts.api('POST', '/v1/signature/policies', {
      name: 'bench-registry',
      witnessId: witness.body.id,
      clusterId: opts.clusterId,
      namespaces: ['registry'],
      enabled: true,
    });
    if (policy.status !== 201) throw new Error(`policy answered ${policy.status}`);

    const pods = 1 + opts.cold;
    const bar = progress('registry: pushing signed images', pods * opts.containers);
    const podImages: string[][] = [];
    for (let p = 0; p < pods; p++) {
      const images: string[] = [];
      for (let i = 0; i < opts.containers; i++) {
        const repository = `bench/svc${i}`;
        const digest = await pushTestImage(registry, repository, {
          content: randomBytes(16).toString('hex'),
        });
        const name = `${registry.host}/${repository}`;
        const payload = buildCosignPayload({ image: { name, digest } });
        const signature = createSign('sha256').update(payload).sign(keys.privateKey).toString('base64');
        await pushCosignSignatureByHand(registry, repository, digest, payload, signature);
        images.push(`${name}@${digest}`);
        bar.tick();
      }
      podImages.push(images);
    }
    bar.done();
    const review = (images: string[]) =>
      Buffer.from(JSON.stringify(podReview({ uid: 'bench-registry', namespace: 'registry', images })));
    const admit = async (body: Buffer) => {
      const t0 = performance.now();
      const text = await opts.postReview(body);
      const ms = performance.now() - t0;
      if ((JSON.parse(text) as { response?: { allowed?: boolean } }).response?.allowed !== true)
        throw new Error(`registry admission did not allow: ${text}`);
      return ms;
    };

    const cold: number[] = [];
    for (const images of podImages.slice(1)) cold.push(await admit(review(images)));
    const warmBody = review(podImages[0] ?? []);
    for (let i = 0; i < opts.warmup; i++) await admit(warmBody);
    const warm: number[] = [];
    for (let i = 0; i < opts.warm; i++) warm.push(await admit(warmBody));

    const summary = (samples: number[]) => {
      const sorted = [...samples].sort((a, b) => a - b);
      return {
        requests: samples.length,
        p50Ms: round(percentile(sorted, 50)),
        p99Ms: round(percentile(sorted, 99)),
        maxMs: round(sorted[sorted.length - 1] ?? 0),
      };
    };
    opts.log('registry: measuring the cache at 100,000 digests');
    return {
      registry: 'docker-registry (CNCF distribution) on loopback',
      podContainers: opts.containers,
      warm: { ...summary(warm), targetP99Ms: 5, p99UnderTarget: summary(warm).p99Ms < 5 },
      coldOneRegistryLookupPerImage: {
        ...summary(cold),
        roundTripsPerImage: 2,
        note: 'GET the .sig manifest, GET the payload blob; the 10 images of a Pod in parallel',
      },
      cacheAt100kDigests: cacheMemory(REGISTRY_CACHE_MAX_ENTRIES),
    };
  } finally {
    await registry.dispose();
  }
}

/** Heap and buffer memory of a full registry cache: each entry one signature (payload ~250 B, signature 256 B). */
function cacheMemory(entries: number) {
  // A collection before each reading, so the figures are what the cache keeps, not garbage awaiting collection.
  v8.setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  gc?.();
  const before = process.memoryUsage();
  // Stored the way admission stores what it read from a registry (RegistrySignatureSource → RegistryAnswerCache).
  const cache = new RegistryAnswerCache(entries);
  for (let i = 0; i < entries; i++) {
    const digest = `sha256:${i.toString(16).padStart(64, '0')}`;
    const image = { registry: 'registry.example.com', repository: `team/app${i % 100}` };
    const payload = Buffer.from(
      buildCosignPayload({ image: { name: `${image.registry}/${image.repository}`, digest } }),
    );
    cache.rememberSignatures('00000000-0000-0000-0000-000000000000', image, digest, [
      { keyVersion: null, payload, signature: randomBytes(256) },
    ]);
  }
  gc?.();
  const after = process.memoryUsage();
  const mib = (b: number) => round(b / 1024 / 1024);
  return {
    entries: cache.size,
    heapMiB: mib(after.heapUsed - before.heapUsed),
    buffersMiB: mib(after.arrayBuffers - before.arrayBuffers),
    totalMiB: mib(after.heapUsed - before.heapUsed + after.arrayBuffers - before.arrayBuffers),
    bytesPerEntry: Math.round(
      (after.heapUsed - before.heapUsed + after.arrayBuffers - before.arrayBuffers) / cache.size,
    ),
    gcBeforeMeasuring: gc !== undefined,
  };
}
