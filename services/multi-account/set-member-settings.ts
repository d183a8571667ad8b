import { unknownAssetIds } from '../inventory/ingest-findings.js';
import { unprocessable } from '../../domain/errors.js';
import { settingsAssetIds, type TMemberSettings } from '../../domain/multi-account/member-settings.js';
import type { MultiAccountActor } from './audit.js';
import type { SettingsRevisionRow } from './rollout-state.js';
import { saveMemberSettings } from './save-member-settings.js';
import { startSavedRollout } from './start-saved-rollouts.js';
import type { RolloutServices } from './start-settings-rollout.js';

/**
 * `PUT /members/{id}/settings`: checks that the assets the document names are the member's (422 naming the
 * others), saves it as the next revision and starts its rollout. When Temporal is unreachable the revision stays
 * saved and a 503 says so; the maintenance repair starts it later.
 */
export async function setMemberSettings(
  services: RolloutServices,
  opts: { by: MultiAccountActor; memberId: string; settings: TMemberSettings },
): Promise<SettingsRevisionRow> {
  const unknown = await unknownAssetIds(services.db, opts.memberId, settingsAssetIds(opts.settings));
  if (unknown.length > 0) {
    throw unprocessable(`${unknown.length} asset id(s) are not assets of the member`, { assetIds: unknown });
  }
  const row = await saveMemberSettings(services.db, opts);
  await startSavedRollout(services, row, opts.by.accountId);
  return row;
}
