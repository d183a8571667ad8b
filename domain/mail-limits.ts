/**
 * How often Vigil mails on request (verification links, notification channel tests). Without a bound anyone with
 * an operator key could make Vigil mail any address over and over.
 */

/** Mails one address (or one DingTalk robot) receives on request in an hour, whichever account asks. */
export const MAILS_PER_RECIPIENT_PER_HOUR = 5;

/** Mail-sending requests one account makes in an hour. */
export const MAIL_REQUESTS_PER_ACCOUNT_PER_HOUR = 30;

export const MAIL_LIMIT_PERIOD_MS = 3_600_000;
