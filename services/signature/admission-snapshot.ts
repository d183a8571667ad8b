import { and, eq } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { signatureKeyVersions, signaturePolicies, signatureWitnesses } from '../../db/schema/signature.js';
import type { AdmissionDecision, ImageVerdict } from '../../domain/signature/admission-review.js';
import { compileImageScope, type ImageScope } from '../../domain/signature/image-scope.js';
import type { TRegistryFailureMode, TTagPolicy } from '../../domain/signature/registry-rules.js';
import type { TPolicyMode } from '../../domain/signature/rules.js';
import { publicKeyObject, type WitnessKeys } from './verify-signatures.js';

/** An enabled security policy as admission holds it in memory: its keys loaded, its globs compiled. */
export interface CachedPolicy {
  id: string;
  name: string;
  version: number;
  mode: TPolicyMode;
  clusterId: string;
  namespaces: Set<string>;
  witnessId: string;
  keys: WitnessKeys;
  registryFailure: TRegistryFailureMode;
  tagPolicy: TTagPolicy;
  scope: ImageScope;
  allowBreakGlass: boolean;
  /** The other witnesses of an N-of-M policy, each checked like this one (empty: this witness alone). */
  cosigners: CachedPolicy[];
  requiredSignatures: number;
  /**
   * Image reference as the pod spec writes it → verdict. The snapshot (and with it this map) is rebuilt whenever
   * the account's policies, key versions, witnesses or Vigil's signatures change, so the reference alone is the
   * key. What the registry said (signatures pushed by CI, a tag's digest) can change without that, so verdicts
   * resting on it expire with the registry cache's TTLs.
   */
  verdicts: Map<string, { verdict: ImageVerdict; expiresAt: number }>;
  /** Image reference → whether the policy's patterns select it (pure in the reference and the policy). */
  inScope: Map<string, boolean>;
  /**
   * The policy's last decisions, by the checked images (field, container, reference): reused while every witness
   * gave the very same verdict objects (cache hits), so a Pod seen before costs no message building.
   */
  decided: Map<
    string,
    { perWitness: ImageVerdict[][]; verdicts: ImageVerdict[]; decision: AdmissionDecision }
  >;
}

/**
 * The account's enabled policies with the public keys of their witnesses (and cosigners), read in at most three
 * queries; what an admission snapshot is built from.
 */
export async function loadAdmissionPolicies(db: Executor, accountId: string): Promise<CachedPolicy[]> {
  const rows = await db
    .select({
      policy: signaturePolicies,
      witnessName: signatureWitnesses.name,
      witnessStatus: signatureWitnesses.status,
    })
    .from(signaturePolicies)
    .innerJoin(signatureWitnesses, eq(signatureWitnesses.id, signaturePolicies.witnessId))
    .where(and(eq(signaturePolicies.accountId, accountId), eq(signaturePolicies.enabled, true)));
  const keyRows = rows.length
    ? await db
        .select({
          witnessId: signatureKeyVersions.witnessId,
          version: signatureKeyVersions.version,
          status: signatureKeyVersions.status,
          pem: signatureKeyVersions.publicKeyPem,
        })
        .from(signatureKeyVersions)
        .where(eq(signatureKeyVersions.accountId, accountId))
    : [];
  // Cosigner witnesses (N of M policies) are read only when some policy names them.
  const cosignerRows = rows.some((r) => r.policy.cosignerIds.length > 0)
    ? await db
        .select({
          id: signatureWitnesses.id,
          name: signatureWitnesses.name,
          status: signatureWitnesses.status,
        })
        .from(signatureWitnesses)
        .where(eq(signatureWitnesses.accountId, accountId))
    : [];
  const keysByWitness = new Map<string, WitnessKeys>();
  const keysOf = (witnessId: string, witnessName: string, witnessStatus: string): WitnessKeys => {
    let keys = keysByWitness.get(witnessId);
    if (!keys) {
      const mine = keyRows.filter((k) => k.witnessId === witnessId);
      keys = {
        witnessName,
        enabled: new Map(
          witnessStatus === 'active'
            ? mine.filter((k) => k.status === 'enabled').map((k) => [k.version, publicKeyObject(k.pem)])
            : [],
        ),
        disabledVersions: mine.filter((k) => k.status === 'disabled').map((k) => k.version),
      };
      keysByWitness.set(witnessId, keys);
    }
    return keys;
  };
  return rows.map(({ policy, witnessName, witnessStatus }): CachedPolicy => {
    const keys = keysOf(policy.witnessId, witnessName, witnessStatus);
    const main: CachedPolicy = {
      id: policy.id,
      name: policy.name,
      version: policy.version,
      mode: policy.mode,
      clusterId: policy.clusterId,
      namespaces: new Set(policy.namespaces),
      witnessId: policy.witnessId,
      keys,
      registryFailure: policy.registryFailure,
      tagPolicy: policy.tagPolicy,
      scope: compileImageScope(policy.images, policy.excludedImages),
      allowBreakGlass: policy.allowBreakGlass,
      verdicts: new Map(),
      inScope: new Map(),
      decided: new Map(),
      cosigners: [],
      requiredSignatures: policy.requiredSignatures,
    };
    // Each cosigner is checked like the policy's own witness, with its own keys and verdict cache.
    main.cosigners = policy.cosignerIds.flatMap((id) => {
      const w = cosignerRows.find((c) => c.id === id);
      return w
        ? [
            {
              ...main,
              witnessId: id,
              keys: keysOf(id, w.name, w.status),
              verdicts: new Map(),
              inScope: new Map(),
              decided: new Map(),
            },
          ]
        : [];
    });
    return main;
  });
}
