import { and, eq, inArray } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { newestFirst, oldestFirst } from '../../db/id-pages.js';
import {
  notificationChannels,
  notificationDeliveries,
  type NotificationChannelRow,
  type NotificationDeliveryRow,
} from '../../db/schema/notifications.js';
import { unprocessable, type VigilError } from '../../domain/errors.js';
import { uuidv7 } from '../../domain/ids.js';
import {
  checkWebhookUrl,
  maskWebhookUrl,
  type NotificationChannelType,
  type NotificationLanguage,
} from '../../domain/notifications.js';
import type { SecretBox } from '../../platform/secrets.js';

/** The AAD that binds a sealed webhook URL to its channel row. */
export const webhookAad = (channelId: string) => `${channelId}:webhook`;

/** What the API shows of a channel: never a secret, the webhook only masked. */
export interface NotificationChannelView {
  id: string;
  name: string;
  type: NotificationChannelType;
  enabled: boolean;
  language: NotificationLanguage;
  webhook: string | null;
  webhookHost: string | null;
  keyword: string | null;
  hasSecret: boolean;
  recipients: string[];
  createdAt: string;
  updatedAt: string;
}

export function channelView(row: NotificationChannelRow): NotificationChannelView {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    enabled: row.enabled,
    language: row.language,
    webhook: row.webhookMasked,
    webhookHost: row.webhookHost,
    keyword: row.keyword,
    hasSecret: row.secretSealed !== null,
    recipients: row.recipients,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** A webhook outside the allow-list or a field of the other channel type: a 422 naming the field. */
function channelInputError(message: string, field: string): VigilError {
  return unprocessable(message, [{ path: field, message }]);
}

export type TChannelCreateInput =
  | {
      type: 'dingtalk';
      name: string;
      enabled: boolean;
      language: NotificationLanguage;
      webhook: string;
      secret?: string;
      keyword?: string;
    }
  | { type: 'email'; name: string; enabled: boolean; language: NotificationLanguage; recipients: string[] };

export interface TChannelPatchInput {
  name?: string;
  enabled?: boolean;
  language?: NotificationLanguage;
  recipients?: string[];
  webhook?: string;
  /** A new secret rotates it; null removes it (the robot no longer signs). */
  secret?: string | null;
  keyword?: string | null;
}

function webhookColumns(id: string, webhook: string, allowList: readonly string[], secrets: SecretBox) {
  const check = checkWebhookUrl(webhook, allowList);
  if (!check.ok) throw channelInputError(check.reason, 'webhook');
  return {
    webhookHost: check.host,
    webhookMasked: maskWebhookUrl(webhook),
    webhookSealed: secrets.seal(webhook, webhookAad(id)),
  };
}

/** Validates the webhook against the allow-list and seals webhook and secret under the new row's id. */
export async function insertChannel(
  db: Executor,
  opts: { accountId: string; input: TChannelCreateInput; secrets: SecretBox; allowList: readonly string[] },
): Promise<NotificationChannelRow | undefined> {
  const id = uuidv7();
  const { input } = opts;
  const common = {
    id,
    accountId: opts.accountId,
    name: input.name,
    type: input.type,
    enabled: input.enabled,
    language: input.language,
  };
  const values =
    input.type === 'dingtalk'
      ? {
          ...common,
          ...webhookColumns(id, input.webhook, opts.allowList, opts.secrets),
          secretSealed: input.secret ? opts.secrets.seal(input.secret, id) : null,
          keyword: input.keyword ?? null,
        }
      : { ...common, recipients: input.recipients };
  const [row] = await db.insert(notificationChannels).values(values).onConflictDoNothing().returning();
  return row;
}

/** The column changes a patch makes; fields of the other channel type are refused. */
export function channelPatchColumns(
  row: NotificationChannelRow,
  patch: TChannelPatchInput,
  deps: { secrets: SecretBox; allowList: readonly string[] },
): Partial<typeof notificationChannels.$inferInsert> {
  const wrongType = (field: string, type: NotificationChannelType) =>
    channelInputError(
      `${field} applies to ${type === 'dingtalk' ? 'DingTalk' : 'e-mail'} channels only`,
      field,
    );
  if (row.type === 'email') {
    for (const field of ['webhook', 'secret', 'keyword'] as const) {
      if (patch[field] !== undefined) throw wrongType(field, 'dingtalk');
    }
  } else if (patch.recipients !== undefined) {
    throw wrongType('recipients', 'email');
  }
  return {
    ...(patch.name !== undefined ? { name: patch.name } : {}),
    ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
    ...(patch.language !== undefined ? { language: patch.language } : {}),
    ...(patch.recipients !== undefined ? { recipients: patch.recipients } : {}),
    ...(patch.webhook !== undefined
      ? webhookColumns(row.id, patch.webhook, deps.allowList, deps.secrets)
      : {}),
    ...(patch.secret !== undefined
      ? { secretSealed: patch.secret === null ? null : deps.secrets.seal(patch.secret, row.id) }
      : {}),
    ...(patch.keyword !== undefined ? { keyword: patch.keyword } : {}),
  };
}

export async function getChannel(
  db: Executor,
  opts: { accountId: string; id: string },
): Promise<NotificationChannelRow | undefined> {
  const [row] = await db
    .select()
    .from(notificationChannels)
    .where(and(eq(notificationChannels.accountId, opts.accountId), eq(notificationChannels.id, opts.id)));
  return row;
}

/**
 * Channels of an account: the given ids (any state; unknown ids are simply absent), or every enabled one. Other
 * features use it to check the channel ids a task or report names.
 */
export async function findChannels(
  db: Executor,
  opts: { accountId: string; ids?: readonly string[] },
): Promise<NotificationChannelRow[]> {
  if (opts.ids !== undefined && opts.ids.length === 0) return [];
  const named =
    opts.ids === undefined
      ? eq(notificationChannels.enabled, true)
      : inArray(notificationChannels.id, [...opts.ids]);
  return db
    .select()
    .from(notificationChannels)
    .where(and(eq(notificationChannels.accountId, opts.accountId), named))
    .orderBy(notificationChannels.id);
}

export async function listChannels(
  db: Executor,
  opts: { accountId: string; type?: NotificationChannelType; after?: string; limit: number },
): Promise<NotificationChannelRow[]> {
  return oldestFirst(
    db,
    notificationChannels,
    opts,
    opts.type ? eq(notificationChannels.type, opts.type) : undefined,
  );
}

/** A channel's deliveries, newest first. */
export async function listDeliveries(
  db: Executor,
  opts: { accountId: string; channelId: string; before?: string; limit: number },
): Promise<NotificationDeliveryRow[]> {
  return newestFirst(db, notificationDeliveries, opts, eq(notificationDeliveries.channelId, opts.channelId));
}
