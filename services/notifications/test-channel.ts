import type { AuditEntry } from '../../db/audit.js';
import { recordAudit } from '../../db/audit.js';
import { notFound, VigilError } from '../../domain/errors.js';
import { uuidv7 } from '../../domain/ids.js';
import { sampleMessage } from '../../domain/notifications.js';
import { getChannel } from './channels.js';
import { sendNotificationNow, type DetailedChannelResult, type NotifyServices } from './send-notification.js';

/**
 * Sends a sample message through one channel, once, and answers with what the peer said. `admit` sees who would be
 * reached first (each e-mail address, or the robot), so the caller can refuse before anything is sent.
 */
export async function testChannel(
  services: NotifyServices,
  actor: Pick<AuditEntry, 'accountId' | 'actor' | 'requestId'>,
  opts: { id: string; admit?: (reached: readonly string[]) => void },
): Promise<DetailedChannelResult> {
  const channel = await getChannel(services.db, { accountId: actor.accountId, id: opts.id });
  if (!channel) throw notFound('notification channel');
  // A DingTalk robot is one recipient; an e-mail channel's test reaches each of its addresses.
  opts.admit?.(channel.type === 'email' ? channel.recipients : [`dingtalk:${channel.id}`]);
  const message = sampleMessage({
    language: channel.language,
    channelName: channel.name,
    at: new Date(),
    link: {
      label: channel.language === 'en' ? 'Notification channels' : '通知渠道',
      url: `${services.publicUrl}/v1/notification-channels/${opts.id}`,
    },
  });
  // A test is a fresh message each time, tried once, so the answer comes back while the operator waits.
  const { results } = await sendNotificationNow(
    services,
    {
      accountId: actor.accountId,
      channelIds: [opts.id],
      dedupeKey: `channel-test:${opts.id}:${uuidv7()}`,
      message,
    },
    { retryDelaysMs: [], maxRateWaitMs: 0, includeDisabled: true },
  );
  const [result] = results;
  if (!result) throw new VigilError('internal', 'the test produced no result');
  await recordAudit(services.db, {
    ...actor,
    action: 'notification_channel.test',
    targetType: 'notification_channel',
    targetId: opts.id,
    after: { status: result.status, detail: result.detail },
  });
  return result;
}
