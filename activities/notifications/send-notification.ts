import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import {
  ZSendNotificationInputSchema,
  type ChannelResult,
  type TSendNotificationInput,
} from '../../domain/notifications.js';
import { sendNotificationNow, type NotifyServices } from '../../services/notifications/send-notification.js';

/** Activities of the notifications feature; spread into `createActivities`. */
export function createNotifyActivities(deps: NotifyServices) {
  return {
    /**
     * Notify the account's channels. Give it a dedupe key naming the event (`playbook-task:<id>:start`): a retry of
     * this activity, or of the workflow, sends nothing twice. Never fails for a channel's sake; see `results`.
     */
    async sendNotification(input: TSendNotificationInput): Promise<{ results: ChannelResult[] }> {
      const parsed = ZSendNotificationInputSchema.safeParse(input);
      if (!parsed.success) {
        throw ApplicationFailure.nonRetryable(
          `invalid sendNotification input: ${parsed.error.message}`,
          'InvalidInput',
        );
      }
      const ctx = Context.current();
      const { results } = await sendNotificationNow(deps, parsed.data, {
        heartbeat: () => ctx.heartbeat(),
        sleep: (ms) => ctx.sleep(ms),
        awaitLiveClaims: true,
      });
      return {
        results: results.map(({ channelId, type, status, detail }) => ({ channelId, type, status, detail })),
      };
    },
  };
}
