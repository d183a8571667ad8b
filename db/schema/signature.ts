import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import {
  ADMISSION_OUTCOMES,
  KEY_VERSION_STATUSES,
  POLICY_MODES,
  WITNESS_KEY_SPECS,
  WITNESS_PURPOSES,
  WITNESS_STATUSES,
} from '../../domain/signature/rules.js';
import { accountIdColumn, createdAt, idColumn, tstz, updatedAt } from './columns.js';

/** A witness names a signing key (manual: "Witness" bound to a KMS CMK, RSA_2048, Sign/Verify). */
export const signatureWitnesses = pgTable(
  'signature_witnesses',
  {
    id: idColumn(),
    accountId: accountIdColumn(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    keySpec: text('key_spec', { enum: WITNESS_KEY_SPECS }).notNull(),
    purpose: text('purpose', { enum: WITNESS_PURPOSES }).notNull(),
    /** The key provider holding the keys (`builtin`, later a KMS). */
    provider: text('provider').notNull(),
    status: text('status', { enum: WITNESS_STATUSES }).notNull().default('active'),
    /** The key version new signatures use. */
    currentVersion: integer('current_version').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    disabledAt: tstz('disabled_at'),
  },
  (t) => [uniqueIndex('signature_witnesses_name_uq').on(t.accountId, t.name)],
);

/**
 * One key version of a witness. `sealed_private_key` is written and read only by the built-in key provider: the
 * PKCS#8 PEM sealed with AES-256-GCM under VIGIL_MASTER_KEY, AAD `<witnessId>:<version>`.
 */
export const signatureKeyVersions = pgTable(
  'signature_key_versions',
  {
    id: idColumn(),
    accountId: accountIdColumn(),
    witnessId: uuid('witness_id')
      .notNull()
      .references(() => signatureWitnesses.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    status: text('status', { enum: KEY_VERSION_STATUSES }).notNull().default('enabled'),
    publicKeyPem: text('public_key_pem').notNull(),
    /** SHA-256 of the SubjectPublicKeyInfo DER, hex. */
    fingerprint: text('fingerprint').notNull(),
    sealedPrivateKey: text('sealed_private_key'),
    createdAt: createdAt(),
    disabledAt: tstz('disabled_at'),
  },
  (t) => [uniqueIndex('signature_key_versions_uq').on(t.witnessId, t.version)],
);

/** A signature Vigil made: the exact payload bytes and the signature, per (witness, key version, image). */
export const imageSignatures = pgTable(
  'signature_image_signatures',
  {
    id: idColumn(),
    accountId: accountIdColumn(),
    witnessId: uuid('witness_id')
      .notNull()
      .references(() => signatureWitnesses.id, { onDelete: 'cascade' }),
    keyVersion: integer('key_version').notNull(),
    /** `registry/repository` as cosign names it (the payload's docker-reference). */
    repository: text('repository').notNull(),
    digest: text('digest').notNull(),
    /** The signed bytes (ASCII JSON), never re-serialized. */
    payload: text('payload').notNull(),
    signature: text('signature').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('signature_image_signatures_uq').on(t.witnessId, t.keyVersion, t.digest, t.repository),
    index('signature_image_signatures_digest_idx').on(t.accountId, t.digest),
  ],
);

/** A Kubernetes cluster that calls the admission webhook with its own token (stored hashed). */
export const signatureClusters = pgTable(
  'signature_clusters',
  {
    id: idColumn(),
    accountId: accountIdColumn(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    failurePolicy: text('failure_policy', { enum: ['Fail', 'Ignore'] })
      .notNull()
      .default('Fail'),
    tokenHash: text('token_hash').notNull(),
    tokenPrefix: text('token_prefix').notNull(),
    lastSeenAt: tstz('last_seen_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('signature_clusters_name_uq').on(t.accountId, t.name),
    uniqueIndex('signature_clusters_token_uq').on(t.tokenHash),
  ],
);

/** Security policy: witness + cluster + namespaces + switch (off by default) + mode. */
export const signaturePolicies = pgTable(
  'signature_policies',
  {
    id: idColumn(),
    accountId: accountIdColumn(),
    name: text('name').notNull(),
    witnessId: uuid('witness_id')
      .notNull()
      .references(() => signatureWitnesses.id),
    clusterId: uuid('cluster_id')
      .notNull()
      .references(() => signatureClusters.id),
    namespaces: text('namespaces')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    enabled: boolean('enabled').notNull().default(false),
    mode: text('mode', { enum: POLICY_MODES }).notNull().default('enforce'),
    description: text('description').notNull().default(''),
    /** Bumped on every change; part of the admission cache key. */
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('signature_policies_name_uq').on(t.accountId, t.name),
    index('signature_policies_cluster_idx').on(t.clusterId),
  ],
);

/**
 * Per-account generation of everything admission depends on (policies, key versions, witnesses); bumped in the
 * transaction of each change so every replica's in-process cache sees it on its next request.
 */
export const signatureState = pgTable('signature_state', {
  accountId: uuid('account_id').primaryKey(),
  generation: bigint('generation', { mode: 'number' }).notNull().default(1),
});

/** Every admission decision. */
export const admissionDecisions = pgTable(
  'signature_admission_decisions',
  {
    id: idColumn(),
    accountId: accountIdColumn(),
    clusterId: uuid('cluster_id').notNull(),
    policyId: uuid('policy_id'),
    policyVersion: integer('policy_version'),
    requestUid: text('request_uid').notNull(),
    namespace: text('namespace').notNull(),
    kind: text('kind').notNull(),
    name: text('name').notNull(),
    operation: text('operation').notNull(),
    mode: text('mode', { enum: POLICY_MODES }),
    allowed: boolean('allowed').notNull(),
    outcome: text('outcome', { enum: ADMISSION_OUTCOMES }).notNull(),
    message: text('message').notNull(),
    images: jsonb('images').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('signature_admission_decisions_account_idx').on(t.accountId, t.id)],
);

/** Images admission verified; `label` is "Trusted Image" while a signature by an active key version holds. */
export const trustedImages = pgTable(
  'signature_trusted_images',
  {
    id: idColumn(),
    accountId: accountIdColumn(),
    witnessId: uuid('witness_id').notNull(),
    repository: text('repository').notNull(),
    digest: text('digest').notNull(),
    /** The key version whose signature last verified it. */
    keyVersion: integer('key_version').notNull(),
    label: text('label'),
    clusterId: uuid('cluster_id').notNull(),
    namespace: text('namespace').notNull(),
    policyId: uuid('policy_id').notNull(),
    firstVerifiedAt: tstz('first_verified_at').notNull().defaultNow(),
    lastVerifiedAt: tstz('last_verified_at').notNull().defaultNow(),
    revokedAt: tstz('revoked_at'),
    revokedReason: text('revoked_reason'),
  },
  (t) => [
    uniqueIndex('signature_trusted_images_uq').on(t.accountId, t.witnessId, t.repository, t.digest),
    index('signature_trusted_images_key_idx').on(t.witnessId, t.keyVersion),
  ],
);
