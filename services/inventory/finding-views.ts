import { and, eq, gt, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Executor } from '../../db/client.js';
import { alerts, attackEvents, baselineRisks, vulnerabilities } from '../../db/schema/findings.js';
import type { AlertStatus, Severity, VulnerabilityStatus, VulnerabilityType } from '../../domain/findings.js';

/**
 * One page of an account's findings, in id order, with the filters of their list endpoints. The account's own
 * lists (`GET /v1/vulnerabilities`, …) and an administrator's view of a member's (`GET
 * /v1/multi-account/members/{id}/vulnerabilities`, …) both read through here, so they filter and page alike.
 * Returns up to `limit + 1` rows (the extra one tells `page()` there is a next page). Each filter combination has an
 * index ending in the id (migration 0027), so a page is a range scan that stops after `limit + 1` rows; the statement
 * is prepared (postgres.js keeps it per connection by its text), so hot list queries are parsed and planned once.
 */
export interface FindingPage<F> {
  accountId: string;
  after?: string;
  limit: number;
  filter: F;
}

function findingList<T extends PgTable & { id: PgColumn; accountId: PgColumn }, F>(
  table: T,
  where: (f: F) => (SQL | undefined)[],
) {
  return async (db: Executor, p: FindingPage<F>): Promise<T['$inferSelect'][]> =>
    (await db
      .select()
      .from(table as PgTable)
      .where(
        and(
          eq(table.accountId, p.accountId),
          p.after ? gt(table.id, p.after) : undefined,
          ...where(p.filter),
        ),
      )
      .orderBy(table.id)
      .limit(p.limit + 1)
      .prepare('list_findings')
      .execute()) as T['$inferSelect'][];
}

export interface VulnerabilityFilter {
  assetId?: string;
  type?: VulnerabilityType;
  status?: VulnerabilityStatus;
  severity?: Severity;
  fixable?: 'true' | 'false';
}

export const listVulnerabilities = findingList(vulnerabilities, (q: VulnerabilityFilter) => [
  q.assetId ? eq(vulnerabilities.assetId, q.assetId) : undefined,
  q.type ? eq(vulnerabilities.type, q.type) : undefined,
  q.status ? eq(vulnerabilities.status, q.status) : undefined,
  q.severity ? eq(vulnerabilities.severity, q.severity) : undefined,
  q.fixable ? eq(vulnerabilities.fixable, q.fixable === 'true') : undefined,
]);

export interface AlertFilter {
  assetId?: string;
  status?: AlertStatus;
  severity?: Severity;
}

export const listAlerts = findingList(alerts, (q: AlertFilter) => [
  q.assetId ? eq(alerts.assetId, q.assetId) : undefined,
  q.status ? eq(alerts.status, q.status) : undefined,
  q.severity ? eq(alerts.severity, q.severity) : undefined,
]);

export const listBaselineRisks = findingList(baselineRisks, (q: AlertFilter) => [
  q.assetId ? eq(baselineRisks.assetId, q.assetId) : undefined,
  q.status ? eq(baselineRisks.status, q.status) : undefined,
  q.severity ? eq(baselineRisks.severity, q.severity) : undefined,
]);

export interface AttackFilter {
  assetId?: string;
  severity?: Severity;
  attackType?: string;
}

export const listAttacks = findingList(attackEvents, (q: AttackFilter) => [
  q.assetId ? eq(attackEvents.assetId, q.assetId) : undefined,
  q.severity ? eq(attackEvents.severity, q.severity) : undefined,
  q.attackType ? eq(attackEvents.attackType, q.attackType) : undefined,
]);
