import { desc, eq } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { accounts } from '../../db/schema/accounts.js';
import { memberSettingsRevisions } from '../../db/schema/multi-account.js';
import {
  DEFAULT_MEMBER_SETTINGS,
  readStoredSettings,
  type TAssetScope,
  type TMemberSettings,
} from '../../domain/multi-account/member-settings.js';

export interface EffectiveSettings {
  settings: TMemberSettings;
  /** The revision they come from; null: nobody saved settings for the account, the defaults apply. */
  revision: number | null;
  timeZone: string;
}

/**
 * The protection settings an account's agents run by: the latest saved revision (read like the API reads it, so a
 * revision saved under an older schema is complete), else the defaults; with the account's time zone.
 */
export async function effectiveSettings(db: Executor, accountId: string): Promise<EffectiveSettings> {
  const [latest] = await db
    .select({ revision: memberSettingsRevisions.revision, settings: memberSettingsRevisions.settings })
    .from(memberSettingsRevisions)
    .where(eq(memberSettingsRevisions.accountId, accountId))
    .orderBy(desc(memberSettingsRevisions.revision))
    .limit(1);
  const [account] = await db
    .select({ timeZone: accounts.timeZone })
    .from(accounts)
    .where(eq(accounts.id, accountId));
  return {
    settings: latest ? readStoredSettings(latest.settings) : DEFAULT_MEMBER_SETTINGS,
    revision: latest?.revision ?? null,
    timeZone: account?.timeZone ?? 'UTC',
  };
}

export const inScope = (scope: TAssetScope, assetId: string): boolean =>
  scope.mode === 'all' || scope.assetIds.includes(assetId);
