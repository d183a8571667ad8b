import { and, count, eq, inArray } from 'drizzle-orm';
import type { AuditEntry } from '../../db/audit.js';
import type { Executor } from '../../db/client.js';
import { accounts } from '../../db/schema/accounts.js';
import { assetGroups } from '../../db/schema/inventory.js';
import { emailRecipients, reports } from '../../db/schema/reports.js';
import { unprocessable } from '../../domain/errors.js';
import {
  validateReportDraft,
  type TReportDefinition,
  type TReportDraft,
  type TRuleViolation,
} from '../../domain/reports/definition.js';
import { MAX_CUSTOM_REPORTS_PER_ACCOUNT } from '../../domain/reports/rules.js';
import { directoryStanding } from '../multi-account/directory-views.js';

/** Who changes a report: the part of the audit row the caller knows. */
export type TReportActor = Pick<AuditEntry, 'accountId' | 'actor' | 'requestId'>;

/** Product rules broken → one 422 listing every violation. */
export function ruleError(violations: TRuleViolation[]) {
  return unprocessable(violations.map((v) => v.message).join('; '), violations);
}

/** The definition when the draft keeps the product's rules, else a 422 with every violation. */
export function checkedDefinition(draft: TReportDraft, now: Date): TReportDefinition {
  const checked = validateReportDraft(draft, now);
  if (!checked.definition) throw ruleError(checked.violations);
  return checked.definition;
}

/** The report columns a definition sets. */
export function definitionColumns(d: TReportDefinition) {
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
    assetGroupId: d.assetGroupId ?? null,
    minSeverity: d.minSeverity,
    sendWeekday: d.type === 'weekly' ? (d.sendWeekday ?? null) : null,
    sendDayOfMonth: d.type === 'monthly' ? (d.sendDayOfMonth ?? null) : null,
    consolidated: d.consolidated ?? false,
  };
}

/**
 * Manual: "You must enter an email address that is verified." Every recipient must be an address of the account
 * that confirmed its verification mail; pending, unsubscribed and unknown addresses are named in the 422.
 */
export async function checkRecipientsVerified(
  tx: Executor,
  accountId: string,
  addresses: readonly string[],
): Promise<void> {
  if (addresses.length === 0) return;
  const known = await tx
    .select({ email: emailRecipients.email, status: emailRecipients.status })
    .from(emailRecipients)
    .where(and(eq(emailRecipients.accountId, accountId), inArray(emailRecipients.email, [...addresses])));
  const status = new Map(known.map((k) => [k.email, k.status]));
  const violations: TRuleViolation[] = [];
  const pending = addresses.filter((a) => status.get(a) === 'pending');
  if (pending.length > 0) {
    violations.push({
      field: 'recipients',
      message: `not verified yet: ${pending.join(', ')} (each must follow the link in its verification mail; POST /v1/email-recipients/{id}/resend-verification sends it again)`,
    });
  }
  const unsubscribed = addresses.filter((a) => status.get(a) === 'unsubscribed');
  if (unsubscribed.length > 0) {
    violations.push({
      field: 'recipients',
      message: `unsubscribed: ${unsubscribed.join(', ')} (add the address again to send a new verification mail)`,
    });
  }
  const unknown = addresses.filter((a) => !status.has(a));
  for (const m of unknown) {
    violations.push({
      field: 'recipients',
      message: `${m} is not a recipient of this account; add it with POST /v1/email-recipients and verify it first`,
    });
  }
  if (violations.length > 0) throw ruleError(violations);
}

/** The asset group must be the account's own; a consolidated report needs the caller to manage a directory. */
export async function checkScope(tx: Executor, accountId: string, d: TReportDefinition): Promise<void> {
  if (d.assetGroupId) {
    const [group] = await tx
      .select({ id: assetGroups.id })
      .from(assetGroups)
      .where(and(eq(assetGroups.id, d.assetGroupId), eq(assetGroups.accountId, accountId)));
    if (!group) throw ruleError([{ field: 'assetGroupId', message: 'no such asset group in this account' }]);
  }
  if (d.consolidated) {
    const standing = await directoryStanding(tx, accountId);
    if (standing?.role !== 'management') {
      throw ruleError([
        {
          field: 'consolidated',
          message: "only a resource directory's management account can send a consolidated report",
        },
      ]);
    }
  }
}

/** Serializes report creation per account so the 9-report limit holds under concurrent requests. */
export async function lockAccountReports(tx: Executor, accountId: string): Promise<void> {
  await tx.select({ id: accounts.id }).from(accounts).where(eq(accounts.id, accountId)).for('update');
  const [row] = await tx
    .select({ n: count() })
    .from(reports)
    .where(and(eq(reports.accountId, accountId), eq(reports.isDefault, false)));
  if ((row?.n ?? 0) >= MAX_CUSTOM_REPORTS_PER_ACCOUNT) {
    throw ruleError([
      {
        field: 'reports',
        message: `an account has at most ${MAX_CUSTOM_REPORTS_PER_ACCOUNT} security reports besides the default one`,
      },
    ]);
  }
}
