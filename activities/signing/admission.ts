import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import {
  admissionDecisions,
  signatureClusters,
  signatureKeyVersions,
  signaturePolicies,
  signatureState,
  signatureWitnesses,
  trustedImages,
} from '../../db/schema/signature.js';
import {
  decideAdmission,
  extractContainerImages,
  type AdmissionDecision,
  type ImageResult,
  type ImageVerdict,
  type TAdmissionRequest,
} from '../../domain/signature/admission-review.js';
import { parseDigestReference } from '../../domain/signature/image-reference.js';
import { ALL_NAMESPACES, TRUSTED_IMAGE_LABEL, type TPolicyMode } from '../../domain/signature/rules.js';
import { hashToken } from '../../platform/secrets.js';
import { storedCandidates } from './signatures.js';
import { publicKeyObject, verifyImageSignatures, type WitnessKeys } from './verify.js';

export interface AdmissionCluster {
  id: string;
  accountId: string;
  generation: number;
}

interface CachedPolicy {
  id: string;
  name: string;
  version: number;
  mode: TPolicyMode;
  clusterId: string;
  namespaces: Set<string>;
  witnessId: string;
  keys: WitnessKeys;
  /** Enabled key versions, e.g. "1,2": part of the verdict cache key. */
  keyVersionsKey: string;
}

interface AccountSnapshot {
  generation: number;
  policies: CachedPolicy[];
  /** (policy, policy version, key versions, image@digest) → verdict. */
  verdicts: Map<string, ImageVerdict>;
}

/** Bounds the verdicts one account keeps in memory; past it the account's cache starts over. */
const MAX_CACHED_VERDICTS = 50_000;

export class MalformedAdmissionError extends Error {
  override name = 'MalformedAdmissionError';
}

export interface AdmissionOutcome extends AdmissionDecision {
  policyIds: string[];
}

/**
 * Answers AdmissionReviews for one process. Policies and public keys are held per account with the account's
 * generation; each request reads the generation together with the cluster (one query), so a change made through
 * any replica empties this cache on the next request. Verdicts are cached by (policy, policy version, enabled key
 * versions, image digest).
 */
export class AdmissionEngine {
  private readonly snapshots = new Map<string, AccountSnapshot>();

  constructor(private readonly db: Database) {}

  async authenticate(token: string): Promise<AdmissionCluster | null> {
    const [row] = await this.db
      .select({
        id: signatureClusters.id,
        accountId: signatureClusters.accountId,
        generation: sql<number>`coalesce(${signatureState.generation}, 0)`.mapWith(Number),
      })
      .from(signatureClusters)
      .leftJoin(signatureState, eq(signatureState.accountId, signatureClusters.accountId))
      .where(eq(signatureClusters.tokenHash, hashToken(token)));
    return row ?? null;
  }

  private async snapshot(cluster: AdmissionCluster): Promise<AccountSnapshot> {
    const cached = this.snapshots.get(cluster.accountId);
    if (cached && cached.generation === cluster.generation) return cached;
    const rows = await this.db
      .select({
        policy: signaturePolicies,
        witnessName: signatureWitnesses.name,
        witnessStatus: signatureWitnesses.status,
      })
      .from(signaturePolicies)
      .innerJoin(signatureWitnesses, eq(signatureWitnesses.id, signaturePolicies.witnessId))
      .where(and(eq(signaturePolicies.accountId, cluster.accountId), eq(signaturePolicies.enabled, true)));
    const keyRows = rows.length
      ? await this.db
          .select({
            witnessId: signatureKeyVersions.witnessId,
            version: signatureKeyVersions.version,
            status: signatureKeyVersions.status,
            pem: signatureKeyVersions.publicKeyPem,
          })
          .from(signatureKeyVersions)
          .where(eq(signatureKeyVersions.accountId, cluster.accountId))
      : [];
    const keysByWitness = new Map<string, WitnessKeys>();
    const policies = rows.map(({ policy, witnessName, witnessStatus }): CachedPolicy => {
      let keys = keysByWitness.get(policy.witnessId);
      if (!keys) {
        const mine = keyRows.filter((k) => k.witnessId === policy.witnessId);
        keys = {
          witnessName,
          enabled: new Map(
            witnessStatus === 'active'
              ? mine.filter((k) => k.status === 'enabled').map((k) => [k.version, publicKeyObject(k.pem)])
              : [],
          ),
          disabledVersions: mine.filter((k) => k.status === 'disabled').map((k) => k.version),
        };
        keysByWitness.set(policy.witnessId, keys);
      }
      return {
        id: policy.id,
        name: policy.name,
        version: policy.version,
        mode: policy.mode,
        clusterId: policy.clusterId,
        namespaces: new Set(policy.namespaces),
        witnessId: policy.witnessId,
        keys,
        keyVersionsKey: [...keys.enabled.keys()].sort((a, b) => a - b).join(','),
      };
    });
    const snap: AccountSnapshot = { generation: cluster.generation, policies, verdicts: new Map() };
    this.snapshots.set(cluster.accountId, snap);
    return snap;
  }

  async review(cluster: AdmissionCluster, request: TAdmissionRequest): Promise<AdmissionOutcome> {
    const extracted = extractContainerImages(request);
    if (!extracted.ok) throw new MalformedAdmissionError(extracted.reason);
    const namespace = request.namespace ?? '';
    const snap = await this.snapshot(cluster);
    // A cluster token reaches only its own cluster's policies.
    const covering = snap.policies.filter(
      (p) => p.clusterId === cluster.id && (p.namespaces.has(namespace) || p.namespaces.has(ALL_NAMESPACES)),
    );
    let outcome: AdmissionOutcome;
    if (covering.length === 0 || !extracted.workload || extracted.images.length === 0) {
      outcome = {
        allowed: true,
        outcome: 'notCovered',
        message:
          covering.length === 0
            ? `namespace "${namespace}" is under no enabled security policy of this cluster`
            : `${request.kind.kind} runs no container image`,
        warnings: [],
        auditAnnotations: { decision: 'not-covered' },
        policyIds: [],
      };
    } else {
      const decisions: AdmissionDecision[] = [];
      const verified: { policy: CachedPolicy; name: string; digest: string; keyVersion: number }[] = [];
      for (const policy of covering) {
        const results: ImageResult[] = [];
        for (const img of extracted.images) {
          const { verdict, fresh, name, digest } = await this.verdictFor(snap, policy, img.image);
          if (fresh && verdict.ok && name && digest)
            verified.push({ policy, name, digest, keyVersion: verdict.keyVersion });
          results.push({ ...img, verdict });
        }
        decisions.push(
          decideAdmission({
            policyName: policy.name,
            mode: policy.mode,
            witnessName: policy.keys.witnessName,
            results,
          }),
        );
      }
      outcome = { ...combine(decisions), policyIds: covering.map((p) => p.id) };
      if (verified.length > 0) await this.label(cluster, namespace, verified);
    }
    await this.db.insert(admissionDecisions).values({
      accountId: cluster.accountId,
      clusterId: cluster.id,
      policyId: outcome.policyIds[0] ?? null,
      policyVersion: covering[0]?.version ?? null,
      requestUid: request.uid,
      namespace,
      kind: request.kind.kind,
      name: request.name ?? readName(request.object) ?? '',
      operation: request.operation,
      mode: covering[0]?.mode ?? null,
      allowed: outcome.allowed,
      outcome: outcome.outcome,
      message: outcome.message,
      images: extracted.ok ? extracted.images : [],
    });
    return outcome;
  }

  private async verdictFor(snap: AccountSnapshot, policy: CachedPolicy, image: string) {
    const parsed = parseDigestReference(image);
    if (!parsed.ok)
      return {
        verdict: { ok: false, reason: parsed.reason } as ImageVerdict,
        fresh: false,
        name: null,
        digest: null,
      };
    const { name, digest } = parsed.ref;
    const key = `${policy.id}\u0000${policy.version}\u0000${policy.keyVersionsKey}\u0000${name}@${digest}`;
    const hit = snap.verdicts.get(key);
    if (hit) return { verdict: hit, fresh: false, name, digest };
    const candidates =
      (await storedCandidates(this.db, { witnessIds: [policy.witnessId], digest })).get(policy.witnessId) ??
      [];
    const verdict = verifyImageSignatures({ digest, keys: policy.keys, candidates });
    if (snap.verdicts.size >= MAX_CACHED_VERDICTS) snap.verdicts.clear();
    snap.verdicts.set(key, verdict);
    return { verdict, fresh: true, name, digest };
  }

  /** Verified images carry the Trusted Image label (and which key version earned it, for revocation). */
  private async label(
    cluster: AdmissionCluster,
    namespace: string,
    verified: { policy: CachedPolicy; name: string; digest: string; keyVersion: number }[],
  ) {
    for (const v of verified) {
      const values = {
        accountId: cluster.accountId,
        witnessId: v.policy.witnessId,
        repository: v.name,
        digest: v.digest,
        keyVersion: v.keyVersion,
        label: TRUSTED_IMAGE_LABEL,
        clusterId: cluster.id,
        namespace,
        policyId: v.policy.id,
      };
      await this.db
        .insert(trustedImages)
        .values(values)
        .onConflictDoUpdate({
          target: [
            trustedImages.accountId,
            trustedImages.witnessId,
            trustedImages.repository,
            trustedImages.digest,
          ],
          set: { ...values, lastVerifiedAt: sql`now()`, revokedAt: null, revokedReason: null },
        });
    }
  }
}

function readName(object: Record<string, unknown> | null | undefined): string | undefined {
  const meta = object?.metadata as { name?: unknown; generateName?: unknown } | undefined;
  if (typeof meta?.name === 'string') return meta.name;
  return typeof meta?.generateName === 'string' ? meta.generateName : undefined;
}

const SEVERITY = { denied: 4, warned: 3, wouldDeny: 2, allowed: 1, notCovered: 0 } as const;

/** Several policies may cover one namespace: every one must pass; the strictest outcome answers. */
function combine(decisions: AdmissionDecision[]): AdmissionDecision {
  const worst = decisions.reduce((a, b) => (SEVERITY[b.outcome] > SEVERITY[a.outcome] ? b : a));
  if (decisions.length === 1) return worst;
  return {
    ...worst,
    allowed: decisions.every((d) => d.allowed),
    message: decisions.map((d) => d.message).join(' | '),
    warnings: decisions.flatMap((d) => d.warnings),
    auditAnnotations: Object.assign({}, ...decisions.map((d) => d.auditAnnotations), worst.auditAnnotations),
  };
}

const engines = new WeakMap<Database, AdmissionEngine>();

/** One engine (and cache) per database handle in this process. */
export function admissionEngineFor(db: Database): AdmissionEngine {
  let engine = engines.get(db);
  if (!engine) {
    engine = new AdmissionEngine(db);
    engines.set(db, engine);
  }
  return engine;
}
