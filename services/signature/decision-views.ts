import { eq, gte, lt, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { newestFirst } from '../../db/id-pages.js';
import { admissionDecisions } from '../../db/schema/signature.js';
import { admissionEngineFor } from './admission-engine.js';

export interface DecisionFilter {
  accountId: string;
  clusterId?: string;
  namespace?: string;
  allowed?: boolean;
  outcome?: (typeof admissionDecisions.$inferSelect)['outcome'];
  /** An image reference exactly as the pod spec wrote it. */
  image?: string;
  /**
   * `sha256:…`: decisions on any image with this digest — pinned in the reference, resolved from a tag, the image
   * index whose signature covered a platform digest, or a platform image of the index a tag resolved to.
   */
  digest?: string;
  since?: Date;
  until?: Date;
  /** Newest first: the page continues with ids below this one. */
  before?: string;
  limit: number;
}

/** One account's decisions, newest first, `limit + 1` rows (the extra one tells there is a next page). */
async function selectDecisions(db: Database, f: DecisionFilter) {
  const d = admissionDecisions;
  return newestFirst(
    db,
    d,
    f,
    f.clusterId ? eq(d.clusterId, f.clusterId) : undefined,
    f.namespace !== undefined ? eq(d.namespace, f.namespace) : undefined,
    f.allowed !== undefined ? eq(d.allowed, f.allowed) : undefined,
    f.outcome ? eq(d.outcome, f.outcome) : undefined,
    f.image ? sql`${d.images} @> ${JSON.stringify([{ image: f.image }])}::jsonb` : undefined,
    // A digest is sha256:<hex> (checked by the caller), so it holds no LIKE wildcard. `digest` is what was
    // verified (a tag's resolved digest), `indexDigest` the signed index that covered a platform digest,
    // `platformDigests` the platform images of the index a tag resolved to.
    f.digest
      ? sql`exists (select 1 from jsonb_array_elements(${d.images}) e where e->>'image' like ${`%@${f.digest}`} or e->>'digest' = ${f.digest} or e->>'indexDigest' = ${f.digest} or coalesce(e->'platformDigests', '[]'::jsonb) @> jsonb_build_array(${f.digest}::text))`
      : undefined,
    f.since ? gte(d.createdAt, f.since) : undefined,
    f.until ? lt(d.createdAt, f.until) : undefined,
  );
}

/**
 * Admission decisions of the account, newest first. Decisions are written in batches: what this replica still holds
 * is written before the read.
 */
export async function listAdmissionDecisions(
  services: Parameters<typeof admissionEngineFor>[0],
  filter: DecisionFilter,
) {
  await admissionEngineFor(services).flushDecisions();
  return selectDecisions(services.db, filter);
}
