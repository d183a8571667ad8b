/** Product rules of the container signature feature (manual: "Use the container signature feature"). */

/** Witness keys: "set Key Spec to RSA_2048 and Purpose to Sign/Verify" (only asymmetric keys sign images). */
export const WITNESS_KEY_SPECS = ['RSA_2048'] as const;
export type TWitnessKeySpec = (typeof WITNESS_KEY_SPECS)[number];
/** `VERIFY`: a witness holding only a public key (images signed elsewhere, e.g. by CI with `cosign sign --key`). */
export const WITNESS_PURPOSES = ['SIGN/VERIFY', 'VERIFY'] as const;
export type TWitnessPurpose = (typeof WITNESS_PURPOSES)[number];

/** The label verified images carry: "the container image … is labeled as Trusted Image". */
export const TRUSTED_IMAGE_LABEL = 'Trusted Image';

/** A security policy's switch "is turned off by default": a new policy does not take effect until enabled. */
export const POLICY_ENABLED_BY_DEFAULT = false;

/** enforce denies, warn admits with warnings, dryRun admits and records what it would have denied. */
export const POLICY_MODES = ['enforce', 'warn', 'dryRun'] as const;
export type TPolicyMode = (typeof POLICY_MODES)[number];

/** A policy namespace entry of `*` covers every namespace of its cluster. */
export const ALL_NAMESPACES = '*';

/** Kubernetes caps webhook timeouts at 30 s; admission answers in milliseconds, 5 s leaves room for the network. */
export const WEBHOOK_TIMEOUT_SECONDS = 5;
/** Namespaces the generated webhook never covers, so a broken webhook cannot lock the control plane out. */
export const WEBHOOK_EXCLUDED_NAMESPACES = ['kube-system'] as const;

/** Key versions are disabled, never deleted: old signatures must stay explainable. */
export const KEY_VERSION_STATUSES = ['enabled', 'disabled'] as const;
export type TKeyVersionStatus = (typeof KEY_VERSION_STATUSES)[number];

export const WITNESS_STATUSES = ['active', 'disabled'] as const;

/** Admission outcomes recorded for every decision. */
export const ADMISSION_OUTCOMES = [
  'allowed',
  'denied',
  'warned',
  'wouldDeny',
  'notCovered',
  'breakGlass',
] as const;
export type TAdmissionOutcome = (typeof ADMISSION_OUTCOMES)[number];

export function revocationWorkflowId(witnessId: string, version: number | 'all'): string {
  return `signature-revocation:${witnessId}:${version}`;
}

/**
 * One break-glass notification per admitted Pod: keyed by the Pod's uid (the API server sets it before validating
 * admission) or, without one, the AdmissionReview's uid, which the API server keeps when it retries the call.
 */
export function breakGlassWorkflowId(clusterId: string, podOrRequestUid: string): string {
  return `signature-break-glass:${clusterId}:${podOrRequestUid}`;
}

/**
 * Most container images one review may list. Real pods run a handful; checking costs a signature lookup per
 * image, and one review listing 100,000 held the event loop for seconds. Past it a covered review fails the check.
 */
export const MAX_IMAGES_PER_REVIEW = 256;

/**
 * AdmissionReviews one cluster may send a second (per API replica, with the same burst). A cluster's API servers
 * send one per pod change; past this a flood from one cluster (or its leaked token) would starve the others.
 */
export const ADMISSION_REVIEWS_PER_CLUSTER_PER_SECOND = 500;
