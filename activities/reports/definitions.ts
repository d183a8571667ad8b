import { and, count, eq, inArray } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { recordAudit } from '../../db/audit.js';
import { accounts } from '../../db/schema/accounts.js';
import { emailRecipients, reports } from '../../db/schema/reports.js';
import type { TReportDefinition, TRuleViolation } from '../../domain/reports/definition.js';
import { DEFAULT_REPORT, MAX_CUSTOM_REPORTS_PER_ACCOUNT } from '../../domain/reports/rules.js';
import type { ReportRow } from './schedules.js';

/** A product rule the request breaks; the API turns it into a 422 with the violations as details. */
export class ReportRuleError extends Error {
  constructor(readonly violations: TRuleViolation[]) {
    super(violations.map((v) => v.message).join('; '));
    this.name = 'ReportRuleError';
  }
}

interface Actor {
  accountId: string;
  actor: string;
  requestId?: string;
}

/** The default report every account gets in its creation transaction (Daily, cannot be deleted). */
export async function createDefaultReport(
  tx: Executor,
  account: typeof accounts.$inferSelect,
): Promise<void> {
  await tx
    .insert(reports)
    .values({
      accountId: account.id,
      name: DEFAULT_REPORT.name,
      type: DEFAULT_REPORT.type,
      isDefault: true,
      enabled: true,
      timeZone: account.timeZone,
      sendWindowStart: DEFAULT_REPORT.sendWindowStart,
      sendWindowEnd: DEFAULT_REPORT.sendWindowEnd,
      language: DEFAULT_REPORT.language,
      items: [...DEFAULT_REPORT.items],
    })
    .onConflictDoNothing();
}

function columns(d: TReportDefinition) {
  return {
    type: d.type,
    timeZone: d.timeZone,
    sendWindowStart: d.sendWindowStart,
    sendWindowEnd: d.sendWindowEnd,
    periodStart: d.period?.start ?? null,
    periodEnd: d.period?.end ?? null,
    language: d.language,
    items: [...d.items],
    recipients: [...d.recipients],
  };
}

/** Recipients must be addresses added through /v1/email-recipients (verified or waiting for verification). */
async function checkRecipientsKnown(
  tx: Executor,
  accountId: string,
  addresses: readonly string[],
): Promise<void> {
  if (addresses.length === 0) return;
  const known = await tx
    .select({ email: emailRecipients.email })
    .from(emailRecipients)
    .where(and(eq(emailRecipients.accountId, accountId), inArray(emailRecipients.email, [...addresses])));
  const have = new Set(known.map((k) => k.email));
  const missing = addresses.filter((a) => !have.has(a));
  if (missing.length > 0) {
    throw new ReportRuleError(
      missing.map((m) => ({
        field: 'recipients',
        message: `${m} is not a recipient of this account; add it with POST /v1/email-recipients and verify it first`,
      })),
    );
  }
}

/** Serializes report creation per account so the 9-report limit holds under concurrent requests. */
async function lockAccountReports(tx: Executor, accountId: string): Promise<void> {
  await tx.select({ id: accounts.id }).from(accounts).where(eq(accounts.id, accountId)).for('update');
  const [row] = await tx
    .select({ n: count() })
    .from(reports)
    .where(and(eq(reports.accountId, accountId), eq(reports.isDefault, false)));
  if ((row?.n ?? 0) >= MAX_CUSTOM_REPORTS_PER_ACCOUNT) {
    throw new ReportRuleError([
      {
        field: 'reports',
        message: `an account has at most ${MAX_CUSTOM_REPORTS_PER_ACCOUNT} security reports besides the default one`,
      },
    ]);
  }
}

export async function insertReport(
  tx: Executor,
  actor: Actor,
  opts: {
    name: string;
    enabled: boolean;
    definition: TReportDefinition;
    action?: string;
    clonedFrom?: string;
  },
): Promise<ReportRow> {
  await lockAccountReports(tx, actor.accountId);
  await checkRecipientsKnown(tx, actor.accountId, opts.definition.recipients);
  const [row] = await tx
    .insert(reports)
    .values({
      accountId: actor.accountId,
      name: opts.name,
      enabled: opts.enabled,
      isDefault: false,
      ...columns(opts.definition),
    })
    .returning();
  if (!row) throw new Error('insert returned no row');
  await recordAudit(tx, {
    ...actor,
    action: opts.action ?? 'report.create',
    targetType: 'report',
    targetId: row.id,
    before: opts.clonedFrom ? { clonedFrom: opts.clonedFrom } : null,
    after: row,
  });
  return row;
}

export async function updateReport(
  tx: Executor,
  actor: Actor,
  before: ReportRow,
  opts: { name: string; definition: TReportDefinition },
): Promise<ReportRow> {
  if (before.isDefault && opts.definition.type !== before.type) {
    throw new ReportRuleError([
      { field: 'type', message: 'the type of the default report is Daily and cannot change' },
    ]);
  }
  await checkRecipientsKnown(tx, actor.accountId, opts.definition.recipients);
  const [row] = await tx
    .update(reports)
    .set({ name: opts.name, ...columns(opts.definition) })
    .where(and(eq(reports.id, before.id), eq(reports.accountId, actor.accountId)))
    .returning();
  if (!row) throw new Error('update returned no row');
  await recordAudit(tx, {
    ...actor,
    action: 'report.update',
    targetType: 'report',
    targetId: row.id,
    before,
    after: row,
  });
  return row;
}

export async function setReportEnabled(
  tx: Executor,
  actor: Actor,
  before: ReportRow,
  enabled: boolean,
): Promise<ReportRow> {
  const [row] = await tx
    .update(reports)
    .set({ enabled })
    .where(and(eq(reports.id, before.id), eq(reports.accountId, actor.accountId)))
    .returning();
  if (!row) throw new Error('update returned no row');
  await recordAudit(tx, {
    ...actor,
    action: enabled ? 'report.enable' : 'report.disable',
    targetType: 'report',
    targetId: row.id,
    before: { enabled: before.enabled },
    after: { enabled },
  });
  return row;
}

export async function deleteReport(tx: Executor, actor: Actor, before: ReportRow): Promise<void> {
  if (before.isDefault) {
    throw new ReportRuleError([{ field: 'id', message: 'the default security report cannot be deleted' }]);
  }
  await tx.delete(reports).where(and(eq(reports.id, before.id), eq(reports.accountId, actor.accountId)));
  await recordAudit(tx, {
    ...actor,
    action: 'report.delete',
    targetType: 'report',
    targetId: before.id,
    before,
  });
}

export async function getReport(db: Executor, accountId: string, id: string): Promise<ReportRow | undefined> {
  const [row] = await db
    .select()
    .from(reports)
    .where(and(eq(reports.id, id), eq(reports.accountId, accountId)));
  return row;
}
