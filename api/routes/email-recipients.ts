import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { addRecipient } from '../../services/reports/add-recipient.js';
import { applyRecipientLink } from '../../services/reports/apply-recipient-link.js';
import { deleteRecipient } from '../../services/reports/delete-recipient.js';
import { UNSUBSCRIBE_PATH, VERIFY_PATH } from '../../services/reports/recipient-links.js';
import { listRecipients, type RecipientRow } from '../../services/reports/recipient-views.js';
import { resendVerification } from '../../services/reports/resend-verification.js';
import { auditActor } from '../audit-context.js';
import type { Context } from 'hono';
import type { AppEnv } from '../context.js';
import { ZErrorEnvelopeSchema } from '../errors.js';
import { accountPage } from '../pagination.js';
import { resourceRoutes } from '../route-shapes.js';
import { defineRoute, json, jsonBody } from '../router.js';
import { escapeHtml as escape } from '../../domain/reports/html.js';
import { mailThrottleFor } from '../mail-throttle.js';

const tags = ['reports'];

const ZRecipientSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    status: z.enum(['pending', 'verified', 'unsubscribed']),
    verificationSentAt: z.iso.datetime().nullable(),
    verifiedAt: z.iso.datetime().nullable(),
    unsubscribedAt: z.iso.datetime().nullable(),
    createdAt: z.iso.datetime(),
  })
  .openapi('EmailRecipient');

const ZAddRecipientBodySchema = z.strictObject({ email: z.email().max(254) });

export type TEmailRecipient = z.infer<typeof ZRecipientSchema>;
export type TAddRecipientBody = z.input<typeof ZAddRecipientBodySchema>;

const toDto = (r: RecipientRow): z.infer<typeof ZRecipientSchema> => ({
  id: r.id,
  email: r.email,
  status: r.status,
  verificationSentAt: r.verificationSentAt?.toISOString() ?? null,
  verifiedAt: r.verifiedAt?.toISOString() ?? null,
  unsubscribedAt: r.unsubscribedAt?.toISOString() ?? null,
  createdAt: r.createdAt.toISOString(),
});

const addRoute = defineRoute({
  method: 'post',
  path: '/v1/email-recipients',
  tags,
  summary:
    'Add a report recipient: mails it a signed verification link (double opt-in); again re-sends the link',
  request: { body: jsonBody(ZAddRecipientBodySchema) },
  responses: { 201: json(ZRecipientSchema, 'Added'), 200: json(ZRecipientSchema, 'Already known') },
});
const recipients = resourceRoutes('/v1/email-recipients', tags, ZRecipientSchema);
const listRoute = recipients.list('List report recipients and their verification status');
const deleteRoute = recipients.delete('Remove a recipient (and from every report of the account)', 'Removed');
const resendRoute = recipients.action(
  'resend-verification',
  'Resend verification: mail a pending address a fresh signed link (verified or unsubscribed: 409)',
  { status: 200, schema: ZRecipientSchema, description: 'Verification mail sent' },
);

const ZTokenQuerySchema = z.object({ token: z.string().min(1).max(2000) });
const html = {
  description: 'A page for the person who clicked',
  content: { 'text/html': { schema: z.string() } },
};
// A bad or expired token gets a page; a request without a token fails validation and gets the error envelope.
const refused = {
  description: 'A page saying the link is not valid, or the error envelope when the token is missing',
  content: { ...html.content, 'application/json': { schema: ZErrorEnvelopeSchema } },
};
const verifyRoute = defineRoute({
  method: 'get',
  path: VERIFY_PATH,
  operationId: 'verifyEmailRecipient',
  auth: 'signedLink',
  tags,
  summary: 'Verification link from the mail (no API key: the signed, expiring token is the credential)',
  request: { query: ZTokenQuerySchema },
  responses: { 200: html, 400: refused },
});
const unsubscribePageRoute = defineRoute({
  method: 'get',
  path: UNSUBSCRIBE_PATH,
  auth: 'signedLink',
  tags,
  summary: 'Unsubscribe page: a button that posts the one-click unsubscribe (a GET changes nothing)',
  request: { query: ZTokenQuerySchema },
  responses: { 200: html },
});
const unsubscribeRoute = defineRoute({
  method: 'post',
  path: UNSUBSCRIBE_PATH,
  auth: 'signedLink',
  tags,
  summary: 'One-click unsubscribe (RFC 8058 List-Unsubscribe-Post), no login',
  request: { query: ZTokenQuerySchema },
  responses: { 200: html, 400: refused },
});

const pageHtml = (title: string, body: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escape(title)}</title></head>` +
  `<body style="font-family:sans-serif;max-width:40em;margin:3em auto;padding:0 1em"><h1>${escape(title)}</h1>${body}</body></html>`;

/** Applies a signed link from a mail (verify or unsubscribe) for the request `c`. */
const applyLink = (c: Context<AppEnv>, token: string, purpose: 'verify' | 'unsubscribe') =>
  applyRecipientLink(c.get('services'), token, purpose, c.get('requestId'));

export function registerEmailRecipientRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(addRoute, async (c) => {
    const services = c.get('services');
    const { email } = c.req.valid('json');
    // Counted whether or not this call mails (a verified address is not mailed again): it is the route that can.
    mailThrottleFor(services).take(c.get('caller').accountId, [email]);
    const { recipient, created } = await addRecipient(services, auditActor(c), email);
    return c.json(toDto(recipient), created ? 201 : 200);
  });

  app.openapi(listRoute, async (c) => {
    return c.json(await accountPage(c, c.req.valid('query'), listRecipients, toDto), 200);
  });

  app.openapi(deleteRoute, async (c) => {
    await deleteRecipient(c.get('services').db, auditActor(c), { id: c.req.valid('param').id });
    return c.body(null, 204);
  });

  app.openapi(resendRoute, async (c) => {
    const services = c.get('services');
    const actor = auditActor(c);
    const recipient = await resendVerification(services, actor, {
      id: c.req.valid('param').id,
      admit: (email) => mailThrottleFor(services).take(actor.accountId, [email]),
    });
    return c.json(toDto(recipient), 200);
  });

  app.openapi(verifyRoute, async (c) => {
    const result = await applyLink(c, c.req.valid('query').token, 'verify');
    if (!result.ok) {
      return c.html(
        pageHtml('Link not valid', `<p>${escape(result.reason)}. Ask for a new verification mail.</p>`),
        400,
      );
    }
    return c.html(
      pageHtml(
        'Address verified',
        `<p>${escape(result.recipient.email)} will receive the security reports it is listed on.</p>`,
      ),
      200,
    );
  });

  app.openapi(unsubscribePageRoute, (c) => {
    const token = c.req.valid('query').token;
    return c.html(
      pageHtml(
        'Unsubscribe from security reports',
        `<form method="post" action="${escape(`${UNSUBSCRIBE_PATH}?token=${encodeURIComponent(token)}`)}">` +
          `<input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>`,
      ),
      200,
    );
  });

  app.openapi(unsubscribeRoute, async (c) => {
    const result = await applyLink(c, c.req.valid('query').token, 'unsubscribe');
    if (!result.ok) return c.html(pageHtml('Link not valid', `<p>${escape(result.reason)}.</p>`), 400);
    return c.html(
      pageHtml(
        'Unsubscribed',
        `<p>${escape(result.recipient.email)} no longer receives security reports from this account.</p>`,
      ),
      200,
    );
  });
}
