import { WEBHOOK_TIMEOUT_SECONDS } from './rules.js';

/** Rules for signatures kept in image registries (cosign's layout) and for admission's registry lookups. */

/** One registry HTTP request (connect to last byte); a slow registry must not hold a webhook answer. */
export const REGISTRY_REQUEST_TIMEOUT_MS = 1_500;
/**
 * All registry lookups of one AdmissionReview together. Below the webhook timeout (5 s), so the kube-apiserver
 * always gets Vigil's answer (with the policy's failure mode applied) instead of timing out itself.
 */
export const ADMISSION_REGISTRY_DEADLINE_MS = 3_000;
if (ADMISSION_REGISTRY_DEADLINE_MS >= WEBHOOK_TIMEOUT_SECONDS * 1000)
  throw new Error('the registry deadline must stay below the webhook timeout');

/** How long registry answers are reused (Kyverno caches for 60 min, Connaisseur 30 s; signatures change rarely). */
export const REGISTRY_CACHE_TTL_MS = {
  /** Signatures found under a `.sig` tag. */
  signatures: 5 * 60_000,
  /** No `.sig` tag: a signature pushed by CI shows up within this. */
  noSignatures: 30_000,
  /** A tag's digest: tags move, so briefly. */
  tag: 30_000,
  /** A registry that failed: retried after this instead of on every Pod. */
  failure: 5_000,
} as const;
/** Most registry answers one process keeps (least recently used go first): ~100,000 digests' signatures. */
export const REGISTRY_CACHE_MAX_ENTRIES = 100_000;
/** Largest manifest or signature payload read from a registry (a `.sig` manifest of 1000 layers is ~400 KiB). */
export const REGISTRY_MAX_BODY_BYTES = 4 * 1024 * 1024;

/** What a policy does when the registry cannot be asked: deny, or admit with a warning (fail-open). */
export const REGISTRY_FAILURE_MODES = ['deny', 'allow'] as const;
export type TRegistryFailureMode = (typeof REGISTRY_FAILURE_MODES)[number];

/** Tagged images: resolved to their digest through the registry, or refused ("digests only"). */
export const TAG_POLICIES = ['resolve', 'digestsOnly'] as const;
export type TTagPolicy = (typeof TAG_POLICIES)[number];
