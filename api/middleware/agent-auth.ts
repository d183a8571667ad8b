import type { MiddlewareHandler } from 'hono';
import type { AgentCaller } from '../../services/agents/agent-token-cache.js';
import { authenticateAgent } from '../../services/agents/authenticate-agent.js';
import { markSilentAgentsOffline } from '../../services/agents/mark-silent-agents-offline.js';
import { touchAgent } from '../../services/agents/touch-agent.js';
import type { AppEnv, Services } from '../context.js';
import { ApiError } from '../errors.js';

declare module 'hono' {
  interface ContextVariableMap {
    /** Set by `agentAuth` on `/agent/v1/*` routes. */
    agent: AgentCaller;
  }
}

/** How often this process marks silent agents offline (lazily, on agent traffic). */
const OFFLINE_SWEEP_INTERVAL_MS = 15_000;
let lastSweep = 0;

/**
 * `Authorization: Bearer <agent token>` → the agent and its one asset, or the 401. Every agent request also counts as
 * a sign of life (asset online) and, at most every 15 s per process, marks agents that went silent offline. Shared by
 * `agentAuth` and the agents' long poll served beside Hono (api/agent-poll-listener.ts).
 */
export async function agentFromAuthorization(
  services: Pick<Services, 'db' | 'logger'>,
  authorization: string | undefined,
): Promise<AgentCaller> {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  const { db, logger } = services;
  const agent = match?.[1] ? await authenticateAgent(db, match[1]) : null;
  if (!agent) {
    throw new ApiError(
      'unauthorized',
      'send the agent token as "Authorization: Bearer <agent token>"',
      undefined,
      {
        'WWW-Authenticate': 'Bearer',
      },
    );
  }
  await touchAgent(db, agent, (err) => logger.warn({ err }, 'agent keep-alives could not be written'));
  if (Date.now() - lastSweep > OFFLINE_SWEEP_INTERVAL_MS) {
    lastSweep = Date.now();
    const marked = await markSilentAgentsOffline(db);
    if (marked > 0) logger.info({ marked }, 'assets whose agent went silent are now offline');
  }
  return agent;
}

/** The agent routes' authentication: `agentFromAuthorization`, the caller in `c.get('agent')`. */
export function agentAuth(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set('agent', await agentFromAuthorization(c.get('services'), c.req.header('authorization')));
    await next();
  };
}
