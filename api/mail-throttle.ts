import {
  MAIL_LIMIT_PERIOD_MS,
  MAIL_REQUESTS_PER_ACCOUNT_PER_HOUR,
  MAILS_PER_RECIPIENT_PER_HOUR,
} from '../domain/mail-limits.js';
import type { Services } from './context.js';
import { ApiError } from './errors.js';
import { TokenBuckets } from './token-buckets.js';

/**
 * The limits of every route that sends mail (or a channel test) on request: per account, and per recipient across
 * accounts (so many accounts cannot take turns at one victim). Per API replica, like the request rate limit.
 */
export class MailThrottle {
  private readonly accounts: TokenBuckets;
  private readonly recipients: TokenBuckets;

  constructor(now: () => number = Date.now) {
    this.accounts = new TokenBuckets(MAIL_REQUESTS_PER_ACCOUNT_PER_HOUR, MAIL_LIMIT_PERIOD_MS, now);
    this.recipients = new TokenBuckets(MAILS_PER_RECIPIENT_PER_HOUR, MAIL_LIMIT_PERIOD_MS, now);
  }

  /** One send by `accountId` to every one of `recipients`, or a 429 (with Retry-After) and nothing taken. */
  take(accountId: string, recipients: string[]): void {
    const keys = [...new Set(recipients.map((r) => r.trim().toLowerCase()))];
    const account = this.accounts.peek(accountId);
    if (!account.ok) {
      throw this.limited(
        `this account has sent ${MAIL_REQUESTS_PER_ACCOUNT_PER_HOUR} mails an hour on request`,
        account.retryAfterSeconds,
      );
    }
    for (const key of keys) {
      const recipient = this.recipients.peek(key);
      if (!recipient.ok) {
        throw this.limited(
          `${key} has been sent ${MAILS_PER_RECIPIENT_PER_HOUR} mails in the last hour`,
          recipient.retryAfterSeconds,
        );
      }
    }
    this.accounts.take(accountId);
    for (const key of keys) this.recipients.take(key);
  }

  private limited(message: string, retryAfterSeconds: number): ApiError {
    return new ApiError('rate_limited', `${message}; try again in ${retryAfterSeconds} s`, undefined, {
      'Retry-After': String(retryAfterSeconds),
    });
  }
}

const throttles = new WeakMap<Services, MailThrottle>();

export function mailThrottleFor(services: Services): MailThrottle {
  let throttle = throttles.get(services);
  if (!throttle) {
    throttle = new MailThrottle();
    throttles.set(services, throttle);
  }
  return throttle;
}
