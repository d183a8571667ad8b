import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import {
  admissionDecisions,
  signatureClusters,
  signatureKeyVersions,
  signaturePolicies,
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
import type { Logger } from '../../platform/logger.js';
import { hashToken } from '../../platform/secrets.js';
import { storedCandidates } from './signatures.js';
import { localSignatureChanges, readSignatureGeneration } from './state.js';
import { publicKeyObject, verifyImageSignatures, type WitnessKeys } from './verify.js';

export interface AdmissionCluster {
  id: string;
  accountId: string;
}

/**
 * Longest time a replica answers from its cache without re-reading the account's generation. Changes made through
 * this process are seen at once (they note a local change); changes made through another replica within this.
 */
export const GENERATION_CHECK_MS = 1_000;
/** Decisions are written in batches off the answer path: at most this many rows or this long after the first. */
const DECISION_BATCH_ROWS = 200;
const DECISION_BATCH_MS = 20;

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
  /** The process-local change counter seen at the last check. */
  localSeen: number;
  checkedAt: number;
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
  /** token hash → cluster, dropped with the account's snapshot on any change (token rotation included). */
  private readonly tokens = new Map<string, AdmissionCluster>();
  private pending: (typeof admissionDecisions.$inferInsert)[] = [];
  private flushTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Database,
    private readonly onError: (err: unknown) => void = () => undefined,
    private readonly generationCheckMs: number = GENERATION_CHECK_MS,
  ) {}

  async authenticate(token: string): Promise<AdmissionCluster | null> {
    const hash = hashToken(token);
    const hit = this.tokens.get(hash);
    if (hit) {
      await this.snapshot(hit.accountId);
      if (this.tokens.has(hash)) return hit;
    }
    const [row] = await this.db
      .select({ id: signatureClusters.id, accountId: signatureClusters.accountId })
      .from(signatureClusters)
      .where(eq(signatureClusters.tokenHash, hash));
    if (!row) return null;
    await this.snapshot(row.accountId);
    if (this.tokens.size >= MAX_CACHED_VERDICTS) this.tokens.clear();
    this.tokens.set(hash, row);
    return row;
  }

  private async snapshot(accountId: string): Promise<AccountSnapshot> {
    const cached = this.snapshots.get(accountId);
    const local = localSignatureChanges(accountId);
    const now = Date.now();
    if (cached && cached.localSeen === local && now - cached.checkedAt < this.generationCheckMs)
      return cached;
    const generation = await readSignatureGeneration(this.db, accountId);
    if (cached && cached.generation === generation) {
      cached.checkedAt = now;
      cached.localSeen = local;
      return cached;
    }
    for (const [hash, c] of this.tokens) if (c.accountId === accountId) this.tokens.delete(hash);
    const rows = await this.db
      .select({
        policy: signaturePolicies,
        witnessName: signatureWitnesses.name,
        witnessStatus: signatureWitnesses.status,
      })
      .from(signaturePolicies)
      .innerJoin(signatureWitnesses, eq(signatureWitnesses.id, signaturePolicies.witnessId))
      .where(and(eq(signaturePolicies.accountId, accountId), eq(signaturePolicies.enabled, true)));
    const keyRows = rows.length
      ? await this.db
          .select({
            witnessId: signatureKeyVersions.witnessId,
            version: signatureKeyVersions.version,
            status: signatureKeyVersions.status,
            pem: signatureKeyVersions.publicKeyPem,
          })
          .from(signatureKeyVersions)
          .where(eq(signatureKeyVersions.accountId, accountId))
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
    const snap: AccountSnapshot = {
      generation,
      localSeen: local,
      checkedAt: now,
      policies,
      verdicts: new Map(),
    };
    this.snapshots.set(accountId, snap);
    return snap;
  }

  async review(cluster: AdmissionCluster, request: TAdmissionRequest): Promise<AdmissionOutcome> {
    const extracted = extractContainerImages(request);
    if (!extracted.ok) throw new MalformedAdmissionError(extracted.reason);
    const namespace = request.namespace ?? '';
    const snap = await this.snapshot(cluster.accountId);
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
      const verified: Verified[] = [];
      for (const policy of covering) {
        const verdicts = await this.verdictsFor(
          snap,
          policy,
          extracted.images.map((i) => i.image),
          verified,
        );
        decisions.push(
          decideAdmission({
            policyName: policy.name,
            mode: policy.mode,
            witnessName: policy.keys.witnessName,
            results: extracted.images.map((img, i): ImageResult => ({
              ...img,
              verdict: verdicts[i] ?? NO_VERDICT,
            })),
          }),
        );
      }
      outcome = { ...combine(decisions), policyIds: covering.map((p) => p.id) };
      if (verified.length > 0) await this.label(cluster, namespace, verified);
    }
    this.record({
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
      images: extracted.images,
    });
    return outcome;
  }

  /** Verdicts for each image (in order); cache misses are verified together with one signature query. */
  private async verdictsFor(
    snap: AccountSnapshot,
    policy: CachedPolicy,
    images: string[],
    verified: Verified[],
  ): Promise<ImageVerdict[]> {
    const prefix = `${policy.id}\u0000${policy.version}\u0000${policy.keyVersionsKey}\u0000`;
    const out: (ImageVerdict | null)[] = [];
    const misses: { index: number; key: string; name: string; digest: string }[] = [];
    images.forEach((image, index) => {
      const parsed = parseDigestReference(image);
      if (!parsed.ok) {
        out.push({ ok: false, reason: parsed.reason });
        return;
      }
      const key = `${prefix}${parsed.ref.name}@${parsed.ref.digest}`;
      const hit = snap.verdicts.get(key);
      out.push(hit ?? null);
      if (!hit) misses.push({ index, key, name: parsed.ref.name, digest: parsed.ref.digest });
    });
    if (misses.length > 0) {
      const candidates = await storedCandidates(this.db, {
        witnessId: policy.witnessId,
        digests: misses.map((m) => m.digest),
      });
      if (snap.verdicts.size + misses.length > MAX_CACHED_VERDICTS) snap.verdicts.clear();
      for (const m of misses) {
        const verdict = verifyImageSignatures({
          digest: m.digest,
          keys: policy.keys,
          candidates: candidates.get(m.digest) ?? [],
        });
        snap.verdicts.set(m.key, verdict);
        out[m.index] = verdict;
        if (verdict.ok)
          verified.push({ policy, name: m.name, digest: m.digest, keyVersion: verdict.keyVersion });
      }
    }
    return out.map((v) => v ?? NO_VERDICT);
  }

  /** Verified images carry the Trusted Image label (and which key version earned it, for revocation). */
  private async label(cluster: AdmissionCluster, namespace: string, verified: Verified[]) {
    const rows = new Map(
      verified.map((v) => [
        `${v.policy.witnessId}\u0000${v.name}\u0000${v.digest}`,
        {
          accountId: cluster.accountId,
          witnessId: v.policy.witnessId,
          repository: v.name,
          digest: v.digest,
          keyVersion: v.keyVersion,
          label: TRUSTED_IMAGE_LABEL,
          clusterId: cluster.id,
          namespace,
          policyId: v.policy.id,
        },
      ]),
    );
    const excluded = (column: string) => sql.raw(`excluded.${column}`);
    await this.db
      .insert(trustedImages)
      .values([...rows.values()])
      .onConflictDoUpdate({
        target: [
          trustedImages.accountId,
          trustedImages.witnessId,
          trustedImages.repository,
          trustedImages.digest,
        ],
        set: {
          keyVersion: excluded('key_version'),
          label: excluded('label'),
          clusterId: excluded('cluster_id'),
          namespace: excluded('namespace'),
          policyId: excluded('policy_id'),
          lastVerifiedAt: sql`now()`,
          revokedAt: null,
          revokedReason: null,
        },
      });
  }

  /** Queues a decision row; rows are written in batches shortly after the answer. */
  private record(row: typeof admissionDecisions.$inferInsert): void {
    this.pending.push(row);
    if (this.pending.length >= DECISION_BATCH_ROWS) void this.flushDecisions();
    else if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => void this.flushDecisions(), DECISION_BATCH_MS);
      this.flushTimer.unref();
    }
  }

  /** Writes every queued decision; resolves when they are stored. */
  flushDecisions(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const batch = this.pending;
    this.pending = [];
    this.flushing = this.flushing.then(async () => {
      if (batch.length === 0) return;
      try {
        await this.db.insert(admissionDecisions).values(batch);
      } catch (err) {
        this.onError(err);
      }
    });
    return this.flushing;
  }
}

interface Verified {
  policy: CachedPolicy;
  name: string;
  digest: string;
  keyVersion: number;
}

const NO_VERDICT: ImageVerdict = { ok: false, reason: 'not verified' };

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
export function admissionEngineFor(services: { db: Database; logger: Logger }): AdmissionEngine {
  let engine = engines.get(services.db);
  if (!engine) {
    engine = new AdmissionEngine(services.db, (err) =>
      services.logger.error({ err }, 'admission decisions were not recorded'),
    );
    engines.set(services.db, engine);
  }
  return engine;
}
