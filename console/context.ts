import type { Context } from 'hono';
import type { AppEnv } from '../api/context.js';
import type { ConsoleLanguage } from '../domain/console.js';
import { roleAllows, type Role } from '../domain/roles.js';
import type { Translate } from './i18n.js';
import type { ConsoleSession } from './session.js';

/** What console handlers reach through the context, on top of the API's services and request id. */
export interface ConsoleEnv {
  Variables: AppEnv['Variables'] & {
    lang: ConsoleLanguage;
    t: Translate;
    /** Absent on the sign-in page only. */
    session: ConsoleSession | undefined;
    csrf: string;
    /** The API app, called in-process with the session's identity. */
    apiFetch: (req: Request) => Response | Promise<Response>;
  };
}

export type ConsoleContext = Context<ConsoleEnv>;

export function sessionOf(c: ConsoleContext): ConsoleSession {
  const session = c.get('session');
  if (!session) throw new Error('a console page that needs a session ran without one');
  return session;
}

/** Whether the signed-in key's role may do what the API allows `need` to do (the API's own rule, roleAllows). */
export function can(c: ConsoleContext, need: Role): boolean {
  const session = c.get('session');
  return session !== undefined && roleAllows(session.role, need);
}
