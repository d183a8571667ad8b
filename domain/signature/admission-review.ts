import { z } from 'zod';
import type { TRegistryFailureMode } from './registry-rules.js';
import { MAX_IMAGES_PER_REVIEW, type TAdmissionOutcome, type TPolicyMode } from './rules.js';

/** Kubernetes AdmissionReview `admission.k8s.io/v1` as a validating webhook receives it (fields Vigil reads). */
export const ZAdmissionReviewSchema = z.object({
  apiVersion: z.literal('admission.k8s.io/v1'),
  kind: z.literal('AdmissionReview'),
  request: z.object({
    uid: z.string().min(1).max(128),
    kind: z.object({ group: z.string(), version: z.string(), kind: z.string() }),
    resource: z.object({ group: z.string(), version: z.string(), resource: z.string() }).optional(),
    subResource: z.string().optional(),
    name: z.string().optional(),
    namespace: z.string().optional(),
    operation: z.string(),
    object: z.record(z.string(), z.unknown()).nullable().optional(),
    userInfo: z.object({ username: z.string().max(512).optional() }).optional(),
    dryRun: z.boolean().optional(),
  }),
});
export type TAdmissionReview = z.infer<typeof ZAdmissionReviewSchema>;
export type TAdmissionRequest = TAdmissionReview['request'];

/** Where a workload kind keeps its pod spec (Pods directly, controllers in a template). */
const POD_SPEC_PATHS: Record<string, readonly string[]> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};
export const ADMITTED_WORKLOAD_KINDS = Object.keys(POD_SPEC_PATHS);

/** Every container list of a pod spec: each image in each must pass. */
export const CONTAINER_FIELDS = ['containers', 'initContainers', 'ephemeralContainers'] as const;
export type TContainerField = (typeof CONTAINER_FIELDS)[number];

export interface ContainerImage {
  field: TContainerField;
  container: string;
  image: string;
}

export type ExtractResult =
  | {
      ok: true;
      workload: boolean;
      images: ContainerImage[];
      /** Set (and `images` left empty) when the object lists more than MAX_IMAGES_PER_REVIEW images. */
      overCap?: number;
    }
  | { ok: false; reason: string };

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The images of the request's object; a kind without a pod template is `workload: false` (nothing to check). */
export function extractContainerImages(request: TAdmissionRequest): ExtractResult {
  const kind = request.kind.kind;
  // Own keys only: a kind named after an Object.prototype member ("constructor", "toString") is not a workload.
  const path = Object.hasOwn(POD_SPEC_PATHS, kind) ? POD_SPEC_PATHS[kind] : undefined;
  // A deletion starts no container: nothing to verify (and it carries no object).
  if (!path || request.operation === 'DELETE') return { ok: true, workload: false, images: [] };
  let node: unknown = request.object;
  for (const key of path) {
    if (!isRecord(node))
      return { ok: false, reason: `request.object of kind ${kind} has no ${path.join('.')}` };
    node = node[key];
  }
  if (!isRecord(node))
    return { ok: false, reason: `request.object of kind ${kind} has no ${path.join('.')}` };
  // Counted before anything is built: an oversized list costs no per-container work.
  let listed = 0;
  for (const field of CONTAINER_FIELDS) {
    const list = node[field];
    if (Array.isArray(list)) listed += list.length;
  }
  if (listed > MAX_IMAGES_PER_REVIEW) return { ok: true, workload: true, images: [], overCap: listed };
  const images: ContainerImage[] = [];
  for (const field of CONTAINER_FIELDS) {
    const list = node[field];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) return { ok: false, reason: `${path.join('.')}.${field} is not a list` };
    for (const [i, c] of list.entries()) {
      if (!isRecord(c) || typeof c.image !== 'string' || c.image === '') {
        return { ok: false, reason: `${path.join('.')}.${field}[${i}] has no image` };
      }
      images.push({ field, container: typeof c.name === 'string' ? c.name : `#${i}`, image: c.image });
    }
  }
  return { ok: true, workload: true, images };
}

/**
 * One image under one policy. `digest` is the image's digest (a tag's digest when the tag was resolved); `index`
 * is the signed image index whose signature covered it when the digest itself is a platform manifest without one;
 * `unavailable` marks a failure because the registry could not be asked, which the policy's registry failure mode
 * may tolerate; `warnings` go back to the kube-apiserver with an admitted Pod.
 */
/**
 * `platforms`: when a tag resolved to an image index, the platform images it lists (the digests a node may pull
 * through that tag), recorded with the decision so that a search by a platform digest finds it.
 */
export type ImageVerdict =
  | {
      ok: true;
      keyVersion: number;
      digest?: string;
      index?: string;
      platforms?: string[];
      warnings?: string[];
    }
  | { ok: false; reason: string; digest?: string; platforms?: string[]; unavailable?: boolean };

export interface ImageResult extends ContainerImage {
  verdict: ImageVerdict;
}

export interface AdmissionDecision {
  allowed: boolean;
  outcome: TAdmissionOutcome;
  message: string;
  warnings: string[];
  auditAnnotations: Record<string, string>;
}

const FIELD_NOUN: Record<TContainerField, string> = {
  containers: 'container',
  initContainers: 'init container',
  ephemeralContainers: 'ephemeral container',
};

/** What a policy's mode makes of the per-image results (DESIGN §8). */
export function decideAdmission(opts: {
  policyName: string;
  mode: TPolicyMode;
  witnessName: string;
  results: ImageResult[];
  /** `allow`: an image whose registry could not be asked passes with a warning (fail-open). Default deny. */
  registryFailure?: TRegistryFailureMode;
}): AdmissionDecision {
  const tolerated = (r: ImageResult) =>
    !r.verdict.ok && r.verdict.unavailable === true && opts.registryFailure === 'allow';
  const failed = opts.results.filter((r) => !r.verdict.ok && !tolerated(r));
  const passWarnings = opts.results.flatMap((r) =>
    r.verdict.ok
      ? (r.verdict.warnings ?? []).map((w) => `vigil: image "${r.image}": ${w}`)
      : tolerated(r)
        ? [`vigil: image "${r.image}" admitted unverified (registry failure mode allow): ${r.verdict.reason}`]
        : [],
  );
  const annotations: Record<string, string> = {
    policy: opts.policyName,
    mode: opts.mode,
    images: JSON.stringify(
      Object.fromEntries(
        opts.results.map((r) => [
          r.image,
          r.verdict.ok
            ? `pass${r.verdict.digest && !r.image.endsWith(r.verdict.digest) ? ` ${r.verdict.digest}` : ''}`
            : `${tolerated(r) ? 'unverified' : 'fail'}: ${r.verdict.reason}`,
        ]),
      ),
    ),
  };
  if (failed.length === 0) {
    return {
      allowed: true,
      outcome: 'allowed',
      message:
        passWarnings.length === 0
          ? `every image is signed by witness "${opts.witnessName}" (policy "${opts.policyName}")`
          : `admitted by policy "${opts.policyName}" (witness "${opts.witnessName}") with ${passWarnings.length} warning(s)`,
      warnings: passWarnings,
      auditAnnotations: { ...annotations, decision: 'allowed' },
    };
  }
  const lines = failed.map(
    (r) =>
      `${FIELD_NOUN[r.field]} "${r.container}" image "${r.image}": ${r.verdict.ok ? '' : r.verdict.reason}`,
  );
  const head = `${failed.length} of ${opts.results.length} image(s) failed the signature check of policy "${opts.policyName}" (witness "${opts.witnessName}")`;
  return failedCheck(opts.mode, `${head}: ${lines.join('; ')}`, lines, annotations, passWarnings);
}

/** A covered review listing more images than MAX_IMAGES_PER_REVIEW fails the check without checking any. */
export function decideOversizedReview(opts: {
  policyName: string;
  mode: TPolicyMode;
  images: number;
}): AdmissionDecision {
  const message = `the object lists ${opts.images} container images; policy "${opts.policyName}" checks at most ${MAX_IMAGES_PER_REVIEW} per review`;
  return failedCheck(opts.mode, message, [message], {
    policy: opts.policyName,
    mode: opts.mode,
    images: String(opts.images),
  });
}

/** What a policy's mode makes of a failed check: enforce denies, warn warns, dryRun records "would deny". */
function failedCheck(
  mode: TPolicyMode,
  message: string,
  lines: string[],
  annotations: Record<string, string>,
  /** Warnings of the images that passed, kept when the mode admits anyway. */
  passWarnings: string[] = [],
): AdmissionDecision {
  if (mode === 'enforce') {
    return {
      allowed: false,
      outcome: 'denied',
      message,
      warnings: [],
      auditAnnotations: { ...annotations, decision: 'denied' },
    };
  }
  if (mode === 'warn') {
    return {
      allowed: true,
      outcome: 'warned',
      message,
      warnings: [...lines.map((l) => `vigil: ${l}`), ...passWarnings],
      auditAnnotations: { ...annotations, decision: 'warned' },
    };
  }
  return {
    allowed: true,
    outcome: 'wouldDeny',
    message: `dry run, would deny: ${message}`,
    warnings: passWarnings,
    auditAnnotations: { ...annotations, decision: 'would-deny' },
  };
}

/** The answer to a cluster over its review rate: denied with 429, nothing checked and nothing recorded. */
export function rateLimitedResponse(uid: string, perSecond: number) {
  return {
    apiVersion: 'admission.k8s.io/v1' as const,
    kind: 'AdmissionReview' as const,
    response: {
      uid,
      allowed: false,
      status: {
        code: 429,
        reason: 'TooManyRequests',
        message: `vigil: this cluster sent more than ${perSecond} admission reviews a second; retry shortly`,
      },
      auditAnnotations: { decision: 'rate-limited' },
    },
  };
}

/** The AdmissionReview answer: `uid` echoed, allowed, status, warnings and audit annotations. */
export function admissionResponse(
  uid: string,
  decision: Pick<AdmissionDecision, 'allowed' | 'message' | 'warnings' | 'auditAnnotations'>,
) {
  return {
    apiVersion: 'admission.k8s.io/v1' as const,
    kind: 'AdmissionReview' as const,
    response: {
      uid,
      allowed: decision.allowed,
      status: decision.allowed
        ? { code: 200, message: decision.message }
        : { code: 403, reason: 'Forbidden', message: decision.message },
      ...(decision.warnings.length > 0 ? { warnings: decision.warnings } : {}),
      auditAnnotations: decision.auditAnnotations,
    },
  };
}
