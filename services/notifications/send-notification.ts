import { and, desc, eq, gt, isNotNull, lt } from 'drizzle-orm';
import type { Services } from '../../platform/services.js';
import {
  notificationDeliveries,
  type NotificationChannelRow,
  type NotificationDeliveryRow,
} from '../../db/schema/notifications.js';
import {
  checkWebhookUrl,
  DINGTALK_MESSAGES_PER_MINUTE,
  type ChannelResult,
  type NotificationLanguage,
  type TSendNotificationInput,
} from '../../domain/notifications.js';
import { findChannels, webhookAad } from './channels.js';
import { postDingTalk, type DingTalkResponse, type SendAttempt } from './dingtalk.js';
import {
  renderNotificationEmail,
  sendNotificationEmail,
  stableMessageId,
  type EmailResponse,
  type RenderedEmail,
} from './email.js';
import { errorMessage } from '../../domain/errors.js';

export type NotifyServices = Pick<Services, 'db' | 'secrets' | 'mailer' | 'config' | 'logger' | 'publicUrl'>;

/** A per-channel result plus what the peer answered (the test endpoint shows it). */
export interface DetailedChannelResult extends ChannelResult {
  attempts: number;
  response: DingTalkResponse | EmailResponse | null;
}

export interface SendNotificationOptions {
  /** Waits between attempts; attempts = length + 1. The test endpoint passes [] to try once. */
  retryDelaysMs?: readonly number[];
  /** Longest wait for DingTalk's per-robot minute budget before sending anyway. */
  maxRateWaitMs?: number;
  /** Send to explicitly named channels even when disabled (the test endpoint). */
  includeDisabled?: boolean;
  /**
   * When another attempt holds a live claim on the delivery, wait until it ends (sent, failed or lease expired)
   * instead of skipping. The activity does: a retry after a heartbeat timeout must not drop the message.
   */
  awaitLiveClaims?: boolean;
  /** Called while waiting, so an activity keeps heartbeating. */
  heartbeat?: () => void;
  sleep?: (ms: number) => Promise<void>;
}

type ResolvedOptions = Required<Omit<SendNotificationOptions, 'heartbeat' | 'includeDisabled'>> &
  Pick<SendNotificationOptions, 'heartbeat'>;

const DEFAULT_RETRY_DELAYS_MS = [1_000, 4_000, 10_000];
const DEFAULT_MAX_RATE_WAIT_MS = 60_000;
/**
 * A `sending` claim older than this is taken over: its sender died. Longer than the longest send (60 s budget wait
 * + four 10 s attempts + 15 s backoff); SEND_NOTIFICATION_TIMEOUT_MS covers this lease plus a send.
 */
export const DELIVERY_CLAIM_LEASE_MS = 150_000;
const LIVE_CLAIM_POLL_MS = 1_000;

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type Claim = { claimed: true; row: NotificationDeliveryRow } | { claimed: false; detail: string };
const LIVE_CLAIM = 'another attempt is sending it now';

/** Claims the (channel, dedupe key) ledger row; a sent row, or a live claim by another sender, means skip. */
async function tryClaim(
  services: NotifyServices,
  channel: NotificationChannelRow,
  input: TSendNotificationInput,
): Promise<Claim> {
  const { db } = services;
  const [inserted] = await db
    .insert(notificationDeliveries)
    .values({
      accountId: channel.accountId,
      channelId: channel.id,
      dedupeKey: input.dedupeKey,
      channelType: channel.type,
      status: 'sending',
      title: input.message.title,
    })
    .onConflictDoNothing()
    .returning();
  if (inserted) return { claimed: true, row: inserted };
  const where = and(
    eq(notificationDeliveries.channelId, channel.id),
    eq(notificationDeliveries.dedupeKey, input.dedupeKey),
  );
  const [existing] = await db.select().from(notificationDeliveries).where(where);
  if (!existing) return { claimed: false, detail: 'delivery row vanished (channel deleted meanwhile)' };
  if (existing.status === 'sent') {
    return {
      claimed: false,
      detail: `already sent at ${existing.sentAt?.toISOString() ?? existing.updatedAt.toISOString()}`,
    };
  }
  if (existing.status === 'sending' && Date.now() - existing.updatedAt.getTime() < DELIVERY_CLAIM_LEASE_MS) {
    return { claimed: false, detail: LIVE_CLAIM };
  }
  // A failed delivery was never delivered, and a stale claim's sender died: sending now is no duplicate. The
  // condition lets exactly one of several racing attempts take it over.
  const [taken] = await db
    .update(notificationDeliveries)
    .set({ status: 'sending', title: input.message.title })
    .where(
      and(
        where,
        existing.status === 'failed'
          ? eq(notificationDeliveries.status, 'failed')
          : and(
              eq(notificationDeliveries.status, 'sending'),
              lt(notificationDeliveries.updatedAt, new Date(Date.now() - DELIVERY_CLAIM_LEASE_MS)),
            ),
      ),
    )
    .returning();
  return taken ? { claimed: true, row: taken } : { claimed: false, detail: LIVE_CLAIM };
}

async function claimDelivery(
  services: NotifyServices,
  channel: NotificationChannelRow,
  input: TSendNotificationInput,
  opts: ResolvedOptions,
): Promise<Claim> {
  for (;;) {
    const claim = await tryClaim(services, channel, input);
    if (claim.claimed || claim.detail !== LIVE_CLAIM || !opts.awaitLiveClaims) return claim;
    // Ends within the lease: then the claim is taken over, or its holder has finished.
    opts.heartbeat?.();
    await opts.sleep(LIVE_CLAIM_POLL_MS);
  }
}

/** Waits while the robot has had its minute's worth of messages (DingTalk throttles it for 10 minutes otherwise). */
async function waitForDingTalkBudget(
  services: NotifyServices,
  channelId: string,
  opts: ResolvedOptions,
): Promise<void> {
  const deadline = Date.now() + opts.maxRateWaitMs;
  for (;;) {
    const since = new Date(Date.now() - 60_000);
    const recent = await services.db
      .select({ sentAt: notificationDeliveries.sentAt })
      .from(notificationDeliveries)
      .where(
        and(
          eq(notificationDeliveries.channelId, channelId),
          isNotNull(notificationDeliveries.sentAt),
          gt(notificationDeliveries.sentAt, since),
        ),
      )
      .orderBy(desc(notificationDeliveries.sentAt))
      .limit(DINGTALK_MESSAGES_PER_MINUTE);
    const oldest = recent[DINGTALK_MESSAGES_PER_MINUTE - 1]?.sentAt;
    if (!oldest) return;
    const wait = oldest.getTime() + 60_000 - Date.now();
    if (wait <= 0 || Date.now() + wait > deadline) return;
    opts.heartbeat?.();
    await opts.sleep(Math.min(wait, 5_000));
  }
}

async function withRetries<R>(
  attempt: () => Promise<SendAttempt<R>>,
  opts: ResolvedOptions,
): Promise<SendAttempt<R> & { attempts: number }> {
  let attempts = 0;
  for (;;) {
    const outcome = await attempt();
    attempts++;
    const wait = opts.retryDelaysMs[attempts - 1];
    if (outcome.ok || !outcome.retryable || wait === undefined) return { ...outcome, attempts };
    opts.heartbeat?.();
    await opts.sleep(wait);
  }
}

function mailDomain(publicUrl: string): string {
  try {
    return new URL(publicUrl).hostname || 'vigil.localhost';
  } catch {
    return 'vigil.localhost';
  }
}

type Outcome = SendAttempt<DingTalkResponse | EmailResponse | null> & { attempts: number };

async function deliver(
  services: NotifyServices,
  channel: NotificationChannelRow,
  input: TSendNotificationInput,
  renderEmail: (language: NotificationLanguage) => Promise<RenderedEmail>,
  opts: ResolvedOptions,
): Promise<Outcome> {
  const failed = (detail: string): Outcome => ({
    ok: false,
    retryable: false,
    detail,
    response: null,
    attempts: 0,
  });
  if (channel.type === 'email') {
    if (channel.recipients.length === 0) return failed('the channel has no recipients');
    const rendered = await renderEmail(channel.language);
    const messageId = stableMessageId({
      channelId: channel.id,
      dedupeKey: input.dedupeKey,
      domain: mailDomain(services.publicUrl),
    });
    return withRetries(
      () => sendNotificationEmail(services.mailer, { ...rendered, to: channel.recipients, messageId }),
      opts,
    );
  }
  if (!channel.webhookSealed) return failed('the channel has no webhook');
  let webhook: string;
  let secret: string | null;
  try {
    webhook = services.secrets.openText(channel.webhookSealed, webhookAad(channel.id));
    secret = channel.secretSealed ? services.secrets.openText(channel.secretSealed, channel.id) : null;
  } catch (err) {
    return failed(errorMessage(err));
  }
  // The allow-list may have shrunk since the channel was created.
  const check = checkWebhookUrl(webhook, services.config.VIGIL_WEBHOOK_ALLOWLIST);
  if (!check.ok) return failed(check.reason);
  await waitForDingTalkBudget(services, channel.id, opts);
  return withRetries(() => postDingTalk({ webhook, secret, keyword: channel.keyword }, input.message), opts);
}

async function deliverToChannel(
  services: NotifyServices,
  channel: NotificationChannelRow,
  input: TSendNotificationInput,
  renderEmail: (language: NotificationLanguage) => Promise<RenderedEmail>,
  opts: ResolvedOptions,
): Promise<DetailedChannelResult> {
  const base = { channelId: channel.id, type: channel.type };
  const claim = await claimDelivery(services, channel, input, opts);
  if (!claim.claimed)
    return { ...base, status: 'skipped', detail: claim.detail, attempts: 0, response: null };
  let outcome: Outcome;
  try {
    outcome = await deliver(services, channel, input, renderEmail, opts);
  } catch (err) {
    // Rendering or the database failed: record it, so the claim does not sit until its lease runs out.
    outcome = {
      ok: false,
      retryable: false,
      detail: errorMessage(err),
      response: null,
      attempts: 0,
    };
  }
  const status = outcome.ok ? 'sent' : 'failed';
  await services.db
    .update(notificationDeliveries)
    .set({
      status,
      detail: outcome.detail,
      response: outcome.response,
      attempts: claim.row.attempts + outcome.attempts,
      sentAt: outcome.ok ? new Date() : null,
    })
    .where(eq(notificationDeliveries.id, claim.row.id));
  const log = {
    channelId: channel.id,
    type: channel.type,
    dedupeKey: input.dedupeKey,
    attempts: outcome.attempts,
  };
  if (outcome.ok) services.logger.debug(log, 'notification sent');
  else services.logger.warn({ ...log, detail: outcome.detail }, 'notification failed');
  return { ...base, status, detail: outcome.detail, attempts: outcome.attempts, response: outcome.response };
}

/**
 * Sends one message to the named channels (or every enabled channel of the account), at most once per
 * (channel, dedupe key) ever. A channel's failure is its result, never an exception: the caller's workflow goes on.
 */
export async function sendNotificationNow(
  services: NotifyServices,
  input: TSendNotificationInput,
  options: SendNotificationOptions = {},
): Promise<{ results: DetailedChannelResult[] }> {
  const opts: ResolvedOptions = {
    retryDelaysMs: options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS,
    awaitLiveClaims: options.awaitLiveClaims ?? false,
    maxRateWaitMs: options.maxRateWaitMs ?? DEFAULT_MAX_RATE_WAIT_MS,
    sleep: options.sleep ?? delay,
    heartbeat: options.heartbeat,
  };
  const channels = await findChannels(services.db, { accountId: input.accountId, ids: input.channelIds });
  const byId = new Map(channels.map((c) => [c.id, c]));
  const rendered = new Map<NotificationLanguage, Promise<RenderedEmail>>();
  const renderEmail = (language: NotificationLanguage) => {
    let r = rendered.get(language);
    if (!r) {
      r = renderNotificationEmail(input.message, language);
      rendered.set(language, r);
    }
    return r;
  };
  const wanted = input.channelIds ? [...new Set(input.channelIds)] : channels.map((c) => c.id);
  const results = await Promise.all(
    wanted.map(async (id): Promise<DetailedChannelResult> => {
      const channel = byId.get(id);
      if (!channel)
        return {
          channelId: id,
          type: 'unknown',
          status: 'skipped',
          detail: 'channel not found',
          attempts: 0,
          response: null,
        };
      if (!channel.enabled && !options.includeDisabled) {
        return {
          channelId: id,
          type: channel.type,
          status: 'skipped',
          detail: 'channel disabled',
          attempts: 0,
          response: null,
        };
      }
      return deliverToChannel(services, channel, input, renderEmail, opts);
    }),
  );
  return { results };
}
