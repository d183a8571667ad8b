import type { AuditEntry } from '../../db/audit.js';
import { recordAudit } from '../../db/audit.js';
import type { Database } from '../../db/client.js';
import type { NotificationChannelRow } from '../../db/schema/notifications.js';
import { conflict } from '../../domain/errors.js';
import type { SecretBox } from '../../platform/secrets.js';
import { channelView, insertChannel, type TChannelCreateInput } from './channels.js';

/**
 * Creates a DingTalk robot or e-mail channel: the webhook must be on the allow-list (422), the name unique in the
 * account (409); webhook and secret are sealed under the new row's id. Audited in the same transaction.
 */
export async function createChannel(
  db: Database,
  actor: Pick<AuditEntry, 'accountId' | 'actor' | 'requestId'>,
  opts: { input: TChannelCreateInput; secrets: SecretBox; allowList: readonly string[] },
): Promise<NotificationChannelRow> {
  return db.transaction(async (tx) => {
    const created = await insertChannel(tx, {
      accountId: actor.accountId,
      input: opts.input,
      secrets: opts.secrets,
      allowList: opts.allowList,
    });
    if (!created) throw conflict(`a notification channel named "${opts.input.name}" exists`);
    await recordAudit(tx, {
      ...actor,
      action: 'notification_channel.create',
      targetType: 'notification_channel',
      targetId: created.id,
      after: channelView(created),
    });
    return created;
  });
}
