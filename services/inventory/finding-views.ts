import { and, eq, getTableName, gt, sql } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Executor } from '../../db/client.js';
import { alerts, attackEvents, baselineRisks, vulnerabilities } from '../../db/schema/findings.js';
import { reusedQuery } from '../../platform/reused-queries.js';
import type { AlertStatus, Severity, VulnerabilityStatus, VulnerabilityType } from '../../domain/findings.js';

/**
 * One page of an account's findings, in id order, with the filters of their list endpoints. The account's own
 * lists (`GET /v1/vulnerabilities`, …) and an administrator's view of a member's (`GET
 * /v1/multi-account/members/{id}/vulnerabilities`, …) both read through here, so they filter and page alike.
 * Returns up to `limit + 1` rows (the extra one tells `page()` there is a next page). Each filter combination has an
 * index ending in the id (migration 0027), so a page is a range scan that stops after `limit + 1` rows; the statement
 * is built once per shape (`reusedQuery`: which filters are set, a cursor or none) and prepared (postgres.js keeps it
 * per connection by its text), so a hot list query is neither rebuilt nor parsed and planned again.
 */
export interface FindingPage<F> {
  accountId: string;
  after?: string;
  limit: number;
  filter: F;
}

/** The column each filter of a list compares with, and how its query value becomes the column's value. */
type FilterColumns<F> = { [K in keyof F]-?: PgColumn | [PgColumn, (value: NonNullable<F[K]>) => unknown] };

function findingList<T extends PgTable & { id: PgColumn; accountId: PgColumn }, F extends object>(
  table: T,
  columns: FilterColumns<F>,
) {
  const name = getTableName(table);
  const filters = Object.entries(columns) as [
    keyof F & string,
    PgColumn | [PgColumn, (value: unknown) => unknown],
  ][];
  return async (db: Executor, p: FindingPage<F>): Promise<T['$inferSelect'][]> => {
    // An empty filter value filters nothing, as before; the statement's text depends only on which filters are set.
    const present = filters.filter(([key]) => Boolean(p.filter[key]));
    const shape = `${name}:${p.after ? 'after' : ''}:${present.map(([key]) => key).join(',')}`;
    const query = reusedQuery(db, shape, () =>
      db
        .select()
        .from(table as PgTable)
        .where(
          and(
            eq(table.accountId, sql.placeholder('accountId')),
            p.after ? gt(table.id, sql.placeholder('after')) : undefined,
            ...present.map(([key, column]) =>
              eq(Array.isArray(column) ? column[0] : column, sql.placeholder(key)),
            ),
          ),
        )
        .orderBy(table.id)
        .limit(sql.placeholder('limit'))
        .prepare(`list_${name}`),
    );
    const values: Record<string, unknown> = { accountId: p.accountId, after: p.after, limit: p.limit + 1 };
    for (const [key, column] of present) {
      values[key] = Array.isArray(column) ? column[1](p.filter[key]) : p.filter[key];
    }
    return (await query.execute(values)) as T['$inferSelect'][];
  };
}

export interface VulnerabilityFilter {
  assetId?: string;
  type?: VulnerabilityType;
  status?: VulnerabilityStatus;
  severity?: Severity;
  fixable?: 'true' | 'false';
}

export const listVulnerabilities = findingList<typeof vulnerabilities, VulnerabilityFilter>(vulnerabilities, {
  assetId: vulnerabilities.assetId,
  type: vulnerabilities.type,
  status: vulnerabilities.status,
  severity: vulnerabilities.severity,
  fixable: [vulnerabilities.fixable, (v) => v === 'true'],
});

export interface AlertFilter {
  assetId?: string;
  status?: AlertStatus;
  severity?: Severity;
}

export const listAlerts = findingList<typeof alerts, AlertFilter>(alerts, {
  assetId: alerts.assetId,
  status: alerts.status,
  severity: alerts.severity,
});

export const listBaselineRisks = findingList<typeof baselineRisks, AlertFilter>(baselineRisks, {
  assetId: baselineRisks.assetId,
  status: baselineRisks.status,
  severity: baselineRisks.severity,
});

export interface AttackFilter {
  assetId?: string;
  severity?: Severity;
  attackType?: string;
}

export const listAttacks = findingList<typeof attackEvents, AttackFilter>(attackEvents, {
  assetId: attackEvents.assetId,
  severity: attackEvents.severity,
  attackType: attackEvents.attackType,
});
