import { z, type OpenAPIHono } from '@hono/zod-openapi';
import {
  channelView,
  getChannel,
  listChannels,
  listDeliveries,
} from '../../services/notifications/channels.js';
import { createChannel } from '../../services/notifications/create-channel.js';
import { deleteChannel } from '../../services/notifications/delete-channel.js';
import { testChannel } from '../../services/notifications/test-channel.js';
import { updateChannel } from '../../services/notifications/update-channel.js';
import {
  DELIVERY_STATUSES,
  MAX_EMAIL_RECIPIENTS,
  NOTIFICATION_CHANNEL_TYPES,
  NOTIFICATION_LANGUAGES,
  ZRecipientsSchema,
} from '../../domain/notifications.js';
import { auditActor } from '../audit-context.js';
import type { AppEnv } from '../context.js';
import { notFound } from '../../domain/errors.js';
import { accountPage, decodeCursor, page, ZPageQuerySchema } from '../pagination.js';
import { resourceRoutes } from '../route-shapes.js';
import { displayName } from '../../domain/input-rules.js';
import { mailThrottleFor } from '../mail-throttle.js';

const TAG = 'notification';

export const ZNotificationChannelSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    type: z.enum(NOTIFICATION_CHANNEL_TYPES),
    enabled: z.boolean(),
    language: z.enum(NOTIFICATION_LANGUAGES),
    webhook: z
      .string()
      .nullable()
      .openapi({ description: 'DingTalk: the webhook with its access token masked' }),
    webhookHost: z.string().nullable(),
    keyword: z.string().nullable(),
    hasSecret: z
      .boolean()
      .openapi({ description: 'DingTalk: whether requests are signed; the secret is never shown' }),
    recipients: z.array(z.string()),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi('NotificationChannel');

const name = displayName(100);
const language = z.enum(NOTIFICATION_LANGUAGES);
const webhook = z.url({ message: 'must be a URL' }).max(2000).openapi({
  description:
    'DingTalk robot webhook (https, host in VIGIL_WEBHOOK_ALLOWLIST), e.g. https://oapi.dingtalk.com/robot/send?access_token=…',
});
const secret = z.string().trim().min(1).max(200).openapi({
  description: 'DingTalk "additional signature" secret (SEC…); stored encrypted, never returned',
});
const keyword = z.string().trim().min(1).max(50).openapi({ description: 'DingTalk custom keyword security' });
const recipients = ZRecipientsSchema.describe(`1–${MAX_EMAIL_RECIPIENTS} addresses, all in To of one mail`);

const ZCreateBodySchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('dingtalk'),
    name,
    enabled: z.boolean().default(true),
    language: language.default('zh-CN'),
    webhook,
    secret: secret.optional(),
    keyword: keyword.optional(),
  }),
  z.strictObject({
    type: z.literal('email'),
    name,
    enabled: z.boolean().default(true),
    language: language.default('zh-CN'),
    recipients,
  }),
]);

const ZPatchBodySchema = z.strictObject({
  name: name.optional(),
  enabled: z.boolean().optional(),
  language: language.optional(),
  recipients: recipients.optional(),
  webhook: webhook.optional(),
  secret: secret
    .nullable()
    .optional()
    .openapi({ description: 'A new secret rotates it; null stops signing' }),
  keyword: keyword.nullable().optional(),
});

const ZChannelResultSchema = z
  .object({
    channelId: z.uuid(),
    type: z.string(),
    status: z.enum(['sent', 'failed', 'skipped']),
    detail: z.string(),
    attempts: z.number().int(),
    response: z
      .union([
        z.object({
          httpStatus: z.number().int().nullable(),
          errcode: z.number().int().nullable(),
          errmsg: z.string().nullable(),
        }),
        z.object({
          smtpResponse: z.string().nullable(),
          messageId: z.string().nullable(),
          accepted: z.array(z.string()),
          rejected: z.array(z.string()),
        }),
      ])
      .nullable()
      .openapi({ description: 'DingTalk errcode/errmsg, or the SMTP server response' }),
  })
  .openapi('NotificationChannelResult');

const ZDeliverySchema = z
  .object({
    id: z.uuid(),
    dedupeKey: z.string(),
    status: z.enum(DELIVERY_STATUSES),
    title: z.string(),
    detail: z.string(),
    response: z.unknown(),
    attempts: z.number().int(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    sentAt: z.iso.datetime().nullable(),
  })
  .openapi('NotificationDelivery');

const channels = resourceRoutes('/v1/notification-channels', [TAG], ZNotificationChannelSchema);
const createRoute = channels.create(
  'Create a DingTalk robot or e-mail notification channel',
  ZCreateBodySchema,
);
const listRoute = channels.list(
  'List notification channels',
  ZPageQuerySchema.extend({ type: z.enum(NOTIFICATION_CHANNEL_TYPES).optional() }),
);
const getRoute = channels.get('One notification channel');
const patchRoute = channels.patch(
  'Rename, enable or disable, change recipients or webhook, rotate the secret',
  ZPatchBodySchema,
);
const deleteRoute = channels.delete('Delete a notification channel and its delivery history');

const testRoute = channels.action(
  'test',
  'Send a sample message now (even when the channel is disabled) and show what the peer answered',
  { status: 200, schema: ZChannelResultSchema, description: 'OK' },
);
const deliveriesRoute = channels.childPage(
  'deliveries',
  'Messages sent (or not) through this channel, newest first',
  ZDeliverySchema,
);

export function registerNotificationChannelRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(createRoute, async (c) => {
    const services = c.get('services');
    const row = await createChannel(services.db, auditActor(c), {
      input: c.req.valid('json'),
      secrets: services.secrets,
      allowList: services.config.VIGIL_WEBHOOK_ALLOWLIST,
    });
    return c.json(channelView(row), 201);
  });

  app.openapi(listRoute, async (c) => {
    const q = c.req.valid('query');
    const body = await accountPage(
      c,
      q,
      (db, keyset) => listChannels(db, { ...keyset, type: q.type }),
      channelView,
    );
    return c.json(body, 200);
  });

  app.openapi(getRoute, async (c) => {
    const { db } = c.get('services');
    const row = await getChannel(db, { accountId: c.get('caller').accountId, id: c.req.valid('param').id });
    if (!row) throw notFound('notification channel');
    return c.json(channelView(row), 200);
  });

  app.openapi(patchRoute, async (c) => {
    const services = c.get('services');
    const row = await updateChannel(services.db, auditActor(c), {
      id: c.req.valid('param').id,
      patch: c.req.valid('json'),
      secrets: services.secrets,
      allowList: services.config.VIGIL_WEBHOOK_ALLOWLIST,
    });
    return c.json(channelView(row), 200);
  });

  app.openapi(deleteRoute, async (c) => {
    await deleteChannel(c.get('services').db, auditActor(c), { id: c.req.valid('param').id });
    return c.body(null, 204);
  });

  app.openapi(testRoute, async (c) => {
    const services = c.get('services');
    const actor = auditActor(c);
    const result = await testChannel(services, actor, {
      id: c.req.valid('param').id,
      admit: (reached) => mailThrottleFor(services).take(actor.accountId, [...reached]),
    });
    return c.json(result, 200);
  });

  app.openapi(deliveriesRoute, async (c) => {
    const { db } = c.get('services');
    const accountId = c.get('caller').accountId;
    const { id } = c.req.valid('param');
    const q = c.req.valid('query');
    if (!(await getChannel(db, { accountId, id }))) throw notFound('notification channel');
    const rows = await listDeliveries(db, {
      accountId,
      channelId: id,
      before: decodeCursor(q.cursor),
      limit: q.limit,
    });
    const p = page(rows, q.limit);
    return c.json(
      {
        items: p.items.map((d) => ({
          id: d.id,
          dedupeKey: d.dedupeKey,
          status: d.status,
          title: d.title,
          detail: d.detail,
          response: d.response,
          attempts: d.attempts,
          createdAt: d.createdAt.toISOString(),
          updatedAt: d.updatedAt.toISOString(),
          sentAt: d.sentAt?.toISOString() ?? null,
        })),
        nextCursor: p.nextCursor,
      },
      200,
    );
  });
}
