import { eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import type { Services } from '../../platform/services.js';
import { badRequest } from '../../domain/errors.js';
import { signatureClusters, trustedImages } from '../../db/schema/signature.js';
import {
  decideAdmission,
  decideOversizedReview,
  extractContainerImages,
  type AdmissionDecision,
  type ImageResult,
  type ImageVerdict,
  type TAdmissionRequest,
} from '../../domain/signature/admission-review.js';
import {
  parseDigestReference,
  parseImageReference,
  type ImageReference,
} from '../../domain/signature/image-reference.js';
import {
  ADMISSION_REGISTRY_DEADLINE_MS,
  REGISTRY_CACHE_TTL_MS,
} from '../../domain/signature/registry-rules.js';
import { ALL_NAMESPACES, TRUSTED_IMAGE_LABEL } from '../../domain/signature/rules.js';
import { hashToken } from '../../platform/secrets.js';
import {
  DECISION_QUEUE_PGLITE,
  DECISION_QUEUE_POSTGRES,
  DecisionQueue,
  type DecisionQueueOptions,
} from './decision-queue.js';
import { recordAudit } from '../../db/audit.js';
import { BREAK_GLASS_ANNOTATION, imageInScope } from '../../domain/signature/image-scope.js';
import { registrySourceFor, type RegistrySignatureSource } from './registry-source.js';
import { combine, NO_VERDICT, nOfM, readName, readUid } from '../../domain/signature/admission-combine.js';
import { loadAdmissionPolicies, type CachedPolicy } from './admission-snapshot.js';
import { BREAK_GLASS_AUDIT_ACTION, notifyBreakGlass, type BreakGlassEvent } from './notify-break-glass.js';
import { verifyThroughIndex } from './index-signatures.js';
import { storedCandidates } from './signature-views.js';
import { localSignatureChanges, readSignatureGeneration } from './signature-state.js';
import { verifyImageSignatures } from './verify-signatures.js';

export interface AdmissionCluster {
  id: string;
  accountId: string;
  name: string;
}

/**
 * Longest time a replica answers from its cache without re-reading the account's generation. Changes made through
 * this process are seen at once (they note a local change); changes made through another replica within this.
 */
export const GENERATION_CHECK_MS = 1_000;

interface AccountSnapshot {
  generation: number;
  /** The process-local change counter seen at the last check. */
  localSeen: number;
  checkedAt: number;
  policies: CachedPolicy[];
  /** Verdicts held by all its policies together. */
  verdictCount: number;
  /** Its place in the order snapshots were stored in (this process). */
  storedAt: number;
}

/** Bounds the verdicts one account keeps in memory; past it the account's cache starts over. */
const MAX_CACHED_VERDICTS = 50_000;

export interface AdmissionOutcome extends AdmissionDecision {
  policyIds: string[];
}

/**
 * Answers AdmissionReviews for one process without a database round trip while nothing changed. Cluster tokens,
 * policies and public keys are held per account with the account's generation. A change made through this process
 * (policy, key version, witness, signature, cluster token) notes itself after its commit and empties the account's
 * cache before the next request; a change made through another replica bumps the generation, which this process
 * re-reads at most every `generationCheckMs` (so another replica's change takes effect here within that). Each
 * cached policy keeps the verdict per image reference. Decisions are queued and written in batches
 * (admission-decisions.ts).
 */
export class AdmissionEngine {
  private readonly snapshots = new Map<string, AccountSnapshot>();
  /**
   * token hash → cluster, valid while the account's snapshot it was cached under (its `storedAt`) is current. The
   * number, not the snapshot: an entry must not keep a replaced snapshot and its verdicts alive.
   */
  private readonly tokens = new Map<string, { cluster: AdmissionCluster; storedAt: number }>();
  /** Counts snapshots stored, to tell whether one was stored while a token was being looked up. */
  private snapshotsStored = 0;
  private readonly decisions: DecisionQueue;
  /** Break-glass notifications being handed over (awaited on flush, so a shutdown does not drop one). */
  private readonly notifying = new Set<Promise<void>>();

  constructor(
    private readonly db: Database,
    /** Told about every batch of decisions the database refused (it is not retried). */
    onDecisionsLost: (err: unknown, rows: number) => void,
    private readonly generationCheckMs: number = GENERATION_CHECK_MS,
    decisionQueue: DecisionQueueOptions = DECISION_QUEUE_POSTGRES,
    /** Where cosign signatures next to images are read and tags resolved; without it only Vigil's own count. */
    private readonly registry: RegistrySignatureSource | null = null,
    /** Tells the account's notification channels about a break-glass admission (never awaited by the answer). */
    private readonly onBreakGlass: ((event: BreakGlassEvent) => Promise<void>) | null = null,
  ) {
    this.decisions = new DecisionQueue(db, onDecisionsLost, decisionQueue);
  }

  async authenticate(token: string): Promise<AdmissionCluster | null> {
    const hash = hashToken(token);
    const hit = this.tokens.get(hash);
    if (hit) {
      if ((await this.snapshot(hit.cluster.accountId)).storedAt === hit.storedAt) return hit.cluster;
      this.tokens.delete(hash);
    }
    const storedBefore = this.snapshotsStored;
    const [row] = await this.db
      .select({
        id: signatureClusters.id,
        accountId: signatureClusters.accountId,
        name: signatureClusters.name,
      })
      .from(signatureClusters)
      .where(eq(signatureClusters.tokenHash, hash));
    if (!row) return null;
    const snap = await this.snapshot(row.accountId);
    // Cached only under a snapshot stored before the row was read: one stored since may stand for a change the row
    // predates (this very token replaced), and the row must not outlive that change here. Either way the row is a
    // truthful answer for this request.
    if (snap.storedAt <= storedBefore && this.snapshots.get(row.accountId) === snap) {
      if (this.tokens.size >= MAX_CACHED_VERDICTS) this.tokens.clear();
      this.tokens.set(hash, { cluster: row, storedAt: snap.storedAt });
    }
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
    const policies = await loadAdmissionPolicies(this.db, accountId);
    const snap: AccountSnapshot = {
      generation,
      localSeen: local,
      checkedAt: now,
      policies,
      verdictCount: 0,
      storedAt: ++this.snapshotsStored,
    };
    this.snapshots.set(accountId, snap);
    return snap;
  }

  async review(cluster: AdmissionCluster, request: TAdmissionRequest): Promise<AdmissionOutcome> {
    const extracted = extractContainerImages(request);
    if (!extracted.ok) throw badRequest(`malformed AdmissionReview: ${extracted.reason}`);
    const namespace = request.namespace ?? '';
    const snap = await this.snapshot(cluster.accountId);
    // A cluster token reaches only its own cluster's policies.
    const covering = snap.policies.filter(
      (p) => p.clusterId === cluster.id && (p.namespaces.has(namespace) || p.namespaces.has(ALL_NAMESPACES)),
    );
    let outcome: AdmissionOutcome;
    /** The digest each image was verified as (a tag's resolved digest), recorded with the decision. */
    const digests: (string | undefined)[] = [];
    /** The signed image index whose signature covered an image (a platform digest written with the index's tag). */
    const indexes: (string | undefined)[] = [];
    /** The platform images of the index a tag resolved to. */
    const platforms: (string[] | undefined)[] = [];
    const note = (at: number, verdict: ImageVerdict | undefined) => {
      if (verdict?.digest && digests[at] === undefined) digests[at] = verdict.digest;
      if (verdict?.ok && verdict.index && indexes[at] === undefined) indexes[at] = verdict.index;
      if (verdict?.platforms && platforms[at] === undefined) platforms[at] = verdict.platforms;
    };
    const overCap = extracted.overCap;
    if (covering.length > 0 && overCap !== undefined) {
      outcome = {
        ...combine(
          covering.map((p) => decideOversizedReview({ policyName: p.name, mode: p.mode, images: overCap })),
        ),
        policyIds: covering.map((p) => p.id),
      };
    } else if (covering.length === 0 || !extracted.workload || extracted.images.length === 0) {
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
      // One deadline for every registry question of this review, made when the first one is asked.
      let deadline: AbortSignal | undefined;
      const lookup = {
        accountId: cluster.accountId,
        signal: () => (deadline ??= AbortSignal.timeout(ADMISSION_REGISTRY_DEADLINE_MS)),
      };
      const deciding: CachedPolicy[] = [];
      for (const policy of covering) {
        // Only the images the policy's patterns select (an unreadable reference is always checked: fail closed).
        const checked = extracted.images.flatMap((img, index) =>
          selects(policy, img.image) ? [{ img, index }] : [],
        );
        if (checked.length === 0) continue;
        deciding.push(policy);
        const members = policy.cosigners.length === 0 ? [policy] : [policy, ...policy.cosigners];
        const perWitness: ImageVerdict[][] = [];
        const images = checked.map((c) => c.img.image);
        for (const member of members)
          perWitness.push(
            await this.verdictsFor(snap, member, images, verified, lookup, request.dryRun === true),
          );
        const memoKey = checked
          .map((c) => `${c.img.field}\u0000${c.img.container}\u0000${c.img.image}`)
          .join('\u0001');
        const memo = policy.decided.get(memoKey);
        if (memo && sameVerdicts(memo.perWitness, perWitness)) {
          checked.forEach((c, i) => note(c.index, memo.verdicts[i]));
          decisions.push(memo.decision);
          continue;
        }
        const verdicts = checked.map((_, i) =>
          nOfM(
            members.map((m, w) => ({ name: m.keys.witnessName, verdict: perWitness[w]?.[i] ?? NO_VERDICT })),
            policy.requiredSignatures,
          ),
        );
        checked.forEach((c, i) => note(c.index, verdicts[i]));
        const decision = decideAdmission({
          policyName: policy.name,
          mode: policy.mode,
          witnessName:
            members.length === 1
              ? policy.keys.witnessName
              : `${policy.requiredSignatures} of ${members.map((m) => m.keys.witnessName).join(', ')}`,
          registryFailure: policy.registryFailure,
          results: checked.map(({ img }, i): ImageResult => ({
            ...img,
            verdict: verdicts[i] ?? NO_VERDICT,
          })),
        });
        decisions.push(decision);
        if (policy.decided.size >= MAX_MEMOIZED_DECISIONS) policy.decided.clear();
        policy.decided.set(memoKey, { perWitness, verdicts, decision });
      }
      outcome =
        decisions.length === 0
          ? {
              allowed: true,
              outcome: 'notCovered',
              message: `no image of this ${request.kind.kind} matches the image patterns of the policies covering namespace "${namespace}"`,
              warnings: [],
              auditAnnotations: { decision: 'not-covered' },
              policyIds: [],
            }
          : { ...combine(decisions), policyIds: deciding.map((p) => p.id) };
      if (!outcome.allowed) outcome = await this.breakGlass(cluster, request, deciding, outcome);
      if (verified.length > 0 && !request.dryRun) await this.label(cluster, namespace, verified);
    }
    // The webhook declares `sideEffects: None`: a dry-run review (kubectl --dry-run=server) is answered like any
    // other but leaves nothing behind — no label, no recorded decision (the API server's audit log has it).
    if (request.dryRun) return outcome;
    const full = this.decisions.record({
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
      images: extracted.images.map((img, i) => {
        const digest = digests[i];
        if (!digest) return img;
        const indexDigest = indexes[i];
        const platformDigests = platforms[i];
        return {
          ...img,
          digest,
          ...(indexDigest ? { indexDigest } : {}),
          ...(platformDigests ? { platformDigests } : {}),
        };
      }),
    });
    // Only when the database has fallen far behind: the answer waits rather than a decision being dropped.
    if (full) await full;
    return outcome;
  }

  /**
   * Verdicts for each image (in order). Cache misses: tags are resolved through the registry (if the policy allows
   * tags), Vigil's signatures are read with one query, and images they do not verify are looked up next to the
   * image in its registry (cosign's `.sig` tag), all registry questions in parallel under the review's deadline.
   * A dry run caches no pass: an image is labelled when first verified, and a dry run labels nothing.
   */
  private async verdictsFor(
    snap: AccountSnapshot,
    policy: CachedPolicy,
    images: string[],
    verified: Verified[],
    lookup: { accountId: string; signal: () => AbortSignal },
    dryRun: boolean,
  ): Promise<ImageVerdict[]> {
    const now = Date.now();
    const out: ImageVerdict[] = [];
    const misses: Miss[] = [];
    images.forEach((image, index) => {
      const hit = policy.verdicts.get(image);
      if (hit && hit.expiresAt > now) {
        out.push(hit.verdict);
        return;
      }
      out.push(NO_VERDICT);
      const parsed = parseImageReference(image);
      if (parsed.ok && (parsed.ref.digest !== null || policy.tagPolicy === 'resolve')) {
        misses.push({
          index,
          image,
          ref: parsed.ref,
          digest: parsed.ref.digest,
          tagWarning: null,
          platforms: null,
        });
        return;
      }
      const digestOnly = parseDigestReference(image);
      const verdict: ImageVerdict = {
        ok: false,
        reason: digestOnly.ok ? 'not verified' : digestOnly.reason,
      };
      out[index] = verdict;
      this.remember(snap, policy, image, verdict, Infinity);
    });
    if (misses.length === 0) return out;
    const settle = (m: Miss, verdict: ImageVerdict, ttl: number) => {
      const withDigest: ImageVerdict = m.digest
        ? { ...verdict, digest: m.digest, ...(m.platforms ? { platforms: m.platforms } : {}) }
        : verdict;
      out[m.index] = withDigest;
      if (!(dryRun && withDigest.ok)) this.remember(snap, policy, m.image, withDigest, ttl);
    };
    const registry = this.registry;
    const tagged = misses.filter((m) => m.digest === null);
    await Promise.all(
      tagged.map(async (m) => {
        const tag = m.ref.tag ?? 'latest';
        if (!registry) {
          settle(
            m,
            { ok: false, reason: `"${m.image}" is a tag and no registry is configured to resolve it` },
            0,
          );
          return;
        }
        const r = await registry.resolveTag(lookup.accountId, m.ref, tag, lookup.signal());
        if (!r.ok)
          settle(
            m,
            {
              ok: false,
              unavailable: true,
              reason: `tag "${tag}" could not be resolved: ${r.error.message}`,
            },
            REGISTRY_CACHE_TTL_MS.failure,
          );
        else if (!r.value)
          settle(
            m,
            { ok: false, reason: `tag "${tag}" does not exist in ${m.ref.name}` },
            REGISTRY_CACHE_TTL_MS.tag,
          );
        else {
          m.digest = r.value.digest;
          if (r.value.platforms.length > 0)
            m.platforms = r.value.platforms.slice(0, MAX_RECORDED_PLATFORM_DIGESTS);
          m.tagWarning = `tag "${tag}" was resolved to ${r.value.digest} and verified as that digest; a tag can move, deploy ${m.ref.name}@${r.value.digest}`;
        }
      }),
    );
    const pinned = misses.filter((m): m is Miss & { digest: string } => m.digest !== null);
    if (pinned.length === 0) return out;
    const candidates = await storedCandidates(this.db, {
      witnessId: policy.witnessId,
      digests: pinned.map((m) => m.digest),
    });
    await Promise.all(
      pinned.map(async (m) => {
        const stored = candidates.get(m.digest) ?? [];
        let verdict = verifyImageSignatures({ digest: m.digest, keys: policy.keys, candidates: stored });
        // Tag-resolved verdicts live as long as the tag's digest is trusted; pinned ones until something changes.
        let ttl = m.tagWarning ? REGISTRY_CACHE_TTL_MS.tag : Infinity;
        if (!verdict.ok && registry) {
          const found = await registry.signatures(lookup.accountId, m.ref, m.digest, lookup.signal());
          if (found.ok) {
            verdict = verifyImageSignatures({
              digest: m.digest,
              keys: policy.keys,
              candidates: [...stored, ...found.value],
            });
            if (!verdict.ok) ttl = REGISTRY_CACHE_TTL_MS.noSignatures;
          } else {
            verdict = {
              ok: false,
              unavailable: true,
              reason: `${verdict.reason}; the registry could not be asked for cosign signatures: ${found.error.message}`,
            };
            ttl = REGISTRY_CACHE_TTL_MS.failure;
          }
        }
        // A platform digest written with its index's tag (`name:tag@sha256:…`): the index's signature covers it.
        if (!verdict.ok && !verdict.unavailable && registry && m.tagWarning === null && m.ref.tag !== null) {
          const viaIndex = await verifyThroughIndex(this.db, registry, {
            accountId: lookup.accountId,
            ref: m.ref,
            digest: m.digest,
            witnessId: policy.witnessId,
            keys: policy.keys,
            signal: lookup.signal(),
          });
          if (viaIndex) {
            verdict = viaIndex.ok
              ? viaIndex
              : { ...viaIndex, reason: `${verdict.reason}; ${viaIndex.reason}` };
            // Rests on the index the tag names now: as long as a tag's digest is trusted.
            ttl = viaIndex.ok
              ? REGISTRY_CACHE_TTL_MS.tag
              : viaIndex.unavailable
                ? REGISTRY_CACHE_TTL_MS.failure
                : ttl;
          }
        }
        if (verdict.ok && m.tagWarning) verdict = { ...verdict, warnings: [m.tagWarning] };
        settle(m, verdict, ttl);
        if (verdict.ok)
          verified.push({
            policy,
            name: m.ref.name,
            // The digest whose signature was verified carries the label (the index for a platform image).
            digest: verdict.index ?? m.digest,
            keyVersion: verdict.keyVersion,
          });
      }),
    );
    return out;
  }

  private remember(
    snap: AccountSnapshot,
    policy: CachedPolicy,
    image: string,
    verdict: ImageVerdict,
    ttlMs: number,
  ) {
    if (snap.verdictCount >= MAX_CACHED_VERDICTS) {
      for (const p of snap.policies) p.verdicts.clear();
      snap.verdictCount = 0;
    }
    policy.verdicts.set(image, { verdict, expiresAt: Date.now() + ttlMs });
    snap.verdictCount++;
  }

  /**
   * The break-glass annotation (with a justification) admits a Pod its policies deny, when every one of them allows
   * break-glass: the answer warns, the decision says `breakGlass`, and an audit row names who and why.
   */
  private async breakGlass(
    cluster: AdmissionCluster,
    request: TAdmissionRequest,
    policies: CachedPolicy[],
    denied: AdmissionOutcome,
  ): Promise<AdmissionOutcome> {
    const meta = request.object?.metadata as { annotations?: Record<string, unknown> } | undefined;
    const value = meta?.annotations?.[BREAK_GLASS_ANNOTATION];
    const justification = typeof value === 'string' ? value.trim().slice(0, 500) : '';
    if (justification === '') return denied;
    const refusing = policies.filter((p) => !p.allowBreakGlass);
    if (refusing.length > 0)
      return {
        ...denied,
        message: `${denied.message} | break-glass refused: policy ${refusing.map((p) => `"${p.name}"`).join(', ')} does not allow it`,
      };
    const who = request.userInfo?.username ?? 'unknown user';
    const name = request.name ?? readName(request.object) ?? '';
    // sideEffects: None — a dry-run review is answered the same, but only a real admission is audited and notified.
    if (!request.dryRun) {
      const event: BreakGlassEvent = {
        accountId: cluster.accountId,
        clusterId: cluster.id,
        clusterName: cluster.name,
        podOrRequestUid: readUid(request.object) ?? request.uid,
        namespace: request.namespace ?? '',
        kind: request.kind.kind,
        name,
        user: who,
        justification,
        deniedBecause: denied.message,
      };
      // The audit row is the notification's outbox (the whole event): should this process die before the start
      // below reaches Temporal, the maintenance repair starts it under the same id (start-break-glass-notifications).
      await recordAudit(this.db, {
        accountId: cluster.accountId,
        actor: `cluster:${cluster.id}`,
        action: BREAK_GLASS_AUDIT_ACTION,
        targetType: 'signature_cluster',
        targetId: cluster.id,
        requestId: request.uid,
        after: {
          namespace: event.namespace,
          kind: event.kind,
          name,
          user: who,
          justification,
          deniedBecause: denied.message,
          policyIds: denied.policyIds,
          clusterName: cluster.name,
          podOrRequestUid: event.podOrRequestUid,
        },
      });
      this.notify(event);
    }
    return {
      ...denied,
      allowed: true,
      outcome: 'breakGlass',
      message: `break-glass by ${who} ("${justification}"); would have been denied: ${denied.message}`,
      warnings: [
        `vigil: admitted by break-glass (${BREAK_GLASS_ANNOTATION}: "${justification}"); this is audited`,
        ...denied.warnings,
      ],
      auditAnnotations: { ...denied.auditAnnotations, decision: 'break-glass', breakGlass: justification },
    };
  }

  /**
   * Hands a break-glass admission to the notification channels without holding the answer: the kube-apiserver
   * waits for this webhook, a notification can wait. A failure to hand it over is logged (the audit row stays).
   */
  private notify(event: BreakGlassEvent): void {
    if (!this.onBreakGlass) return;
    const sending = this.onBreakGlass(event).finally(() => this.notifying.delete(sending));
    this.notifying.add(sending);
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

  /**
   * Writes every queued decision and hands over the break-glass notifications in flight; resolves when they are
   * stored (or their failure was reported).
   */
  async flushDecisions(): Promise<void> {
    await Promise.all([this.decisions.flush(), ...this.notifying]);
  }
}

/** Pods (distinct image lists) whose decision one policy keeps for reuse; past it the memo starts over. */
const MAX_MEMOIZED_DECISIONS = 1024;

/** Whether the policy's patterns select an image, remembered per reference (the policy is immutable in its snapshot). */
function selects(policy: CachedPolicy, image: string): boolean {
  let hit = policy.inScope.get(image);
  if (hit === undefined) {
    const parsed = parseImageReference(image);
    hit = !parsed.ok || imageInScope(policy.scope, parsed.ref.name);
    if (policy.inScope.size >= MAX_CACHED_VERDICTS) policy.inScope.clear();
    policy.inScope.set(image, hit);
  }
  return hit;
}

/** The same verdict objects (cache hits), witness by witness and image by image. */
function sameVerdicts(a: ImageVerdict[][], b: ImageVerdict[][]): boolean {
  if (a.length !== b.length) return false;
  for (let w = 0; w < a.length; w++) {
    const x = a[w];
    const y = b[w];
    if (!x || !y || x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  }
  return true;
}

interface Miss {
  index: number;
  image: string;
  ref: ImageReference;
  /** Null until a tag is resolved. */
  digest: string | null;
  tagWarning: string | null;
  /** The platform images of the index the tag resolved to; null for a pinned digest or a single-platform image. */
  platforms: string[] | null;
}

/** An index lists a handful of platforms; a decision records at most this many of them (its row stays small). */
const MAX_RECORDED_PLATFORM_DIGESTS = 64;

interface Verified {
  policy: CachedPolicy;
  name: string;
  digest: string;
  keyVersion: number;
}

const engines = new WeakMap<Database, AdmissionEngine>();

/** One engine (and cache) per database handle in this process. */
export function admissionEngineFor(
  services: Pick<
    Services,
    'db' | 'dbDriver' | 'logger' | 'secrets' | 'temporal' | 'taskQueues' | 'publicUrl'
  >,
): AdmissionEngine {
  let engine = engines.get(services.db);
  if (!engine) {
    engine = new AdmissionEngine(
      services.db,
      (err, rows) => services.logger.error({ err, rows }, 'admission decisions were not recorded'),
      GENERATION_CHECK_MS,
      services.dbDriver === 'pglite' ? DECISION_QUEUE_PGLITE : DECISION_QUEUE_POSTGRES,
      registrySourceFor(services),
      (event) =>
        notifyBreakGlass(services, event).then(
          () => undefined,
          (err: unknown) =>
            services.logger.error(
              { err, clusterId: event.clusterId, namespace: event.namespace, name: event.name },
              'the break-glass notification could not be handed to Temporal; the maintenance repair starts it from the audit row',
            ),
        ),
    );
    engines.set(services.db, engine);
  }
  return engine;
}

/** On shutdown, before the database closes: writes the decisions this process still holds. */
export async function flushAdmissionDecisions(db: Database): Promise<void> {
  await engines.get(db)?.flushDecisions();
}
