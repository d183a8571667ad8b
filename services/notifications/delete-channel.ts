import { and, eq } from 'drizzle-orm';
import type { AuditEntry } from '../../db/audit.js';
import { recordAudit } from '../../db/audit.js';
import type { Database } from '../../db/client.js';
import { notificationChannels } from '../../db/schema/notifications.js';
import { notFound } from '../../domain/errors.js';
import { channelView } from './channels.js';

/** Deletes a channel of the caller's account (another account's id is a 404), audited in the same transaction. */
export async function deleteChannel(
  db: Database,
  actor: Pick<AuditEntry, 'accountId' | 'actor' | 'requestId'>,
  opts: { id: string },
): Promise<void> {
  await db.transaction(async (tx) => {
    const [deleted] = await tx
      .delete(notificationChannels)
      .where(and(eq(notificationChannels.accountId, actor.accountId), eq(notificationChannels.id, opts.id)))
      .returning();
    if (!deleted) throw notFound('notification channel');
    await recordAudit(tx, {
      ...actor,
      action: 'notification_channel.delete',
      targetType: 'notification_channel',
      targetId: opts.id,
      before: channelView(deleted),
    });
  });
}
