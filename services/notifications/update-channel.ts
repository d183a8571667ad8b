import { and, eq } from 'drizzle-orm';
import type { AuditEntry } from '../../db/audit.js';
import { recordAudit } from '../../db/audit.js';
import type { Database } from '../../db/client.js';
import { databaseErrorOf } from '../../db/errors.js';
import { notificationChannels, type NotificationChannelRow } from '../../db/schema/notifications.js';
import { conflict, notFound } from '../../domain/errors.js';
import type { SecretBox } from '../../platform/secrets.js';
import { channelPatchColumns, channelView, getChannel, type TChannelPatchInput } from './channels.js';

/** Postgres unique_violation (23505). */
const isUniqueViolation = (err: unknown) => databaseErrorOf(err)?.code === '23505';

/**
 * Edits a channel: fields of the other channel type and webhooks off the allow-list are 422, a taken name 409, an
 * unknown or foreign id 404. A new secret is recorded in the audit row only as `secretChanged`.
 */
export async function updateChannel(
  db: Database,
  actor: Pick<AuditEntry, 'accountId' | 'actor' | 'requestId'>,
  opts: { id: string; patch: TChannelPatchInput; secrets: SecretBox; allowList: readonly string[] },
): Promise<NotificationChannelRow> {
  const { id, patch } = opts;
  return db.transaction(async (tx) => {
    const before = await getChannel(tx, { accountId: actor.accountId, id });
    if (!before) throw notFound('notification channel');
    const set = channelPatchColumns(before, patch, { secrets: opts.secrets, allowList: opts.allowList });
    if (Object.keys(set).length === 0) return before;
    const [after] = await tx
      .update(notificationChannels)
      .set(set)
      .where(and(eq(notificationChannels.accountId, actor.accountId), eq(notificationChannels.id, id)))
      .returning()
      .catch((err: unknown) => {
        if (patch.name !== undefined && isUniqueViolation(err))
          throw conflict(`a notification channel named "${patch.name}" exists`);
        throw err;
      });
    if (!after) throw notFound('notification channel');
    await recordAudit(tx, {
      ...actor,
      action: 'notification_channel.update',
      targetType: 'notification_channel',
      targetId: id,
      before: channelView(before),
      after: { ...channelView(after), ...(patch.secret !== undefined ? { secretChanged: true } : {}) },
    });
    return after;
  });
}
