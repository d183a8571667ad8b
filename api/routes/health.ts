import { sql } from 'drizzle-orm';
import type { OpenAPIHono, RouteConfig } from '@hono/zod-openapi';
import { z } from '@hono/zod-openapi';
import type { AppEnv } from '../context.js';
import { defineRoute, json } from '../router.js';
import { errorMessage } from '../../domain/errors.js';

const ZHealthSchema = z.object({ status: z.literal('ok') });
const ZReadySchema = z.object({
  status: z.enum(['ready', 'unavailable']),
  checks: z.object({ database: z.string(), temporal: z.string() }),
});

/** A probe for load balancers and orchestrators: no credentials, tagged `health`. */
const healthProbe = <P extends string, R extends RouteConfig['responses']>(
  path: P,
  summary: string,
  responses: R,
) => defineRoute({ method: 'get', path, auth: 'none', tags: ['health'], summary, responses });

const healthz = healthProbe('/healthz', 'The process is up', { 200: json(ZHealthSchema) });

const readyz = healthProbe('/readyz', 'The database and Temporal are reachable', {
  200: json(ZReadySchema),
  503: json(ZReadySchema, 'A dependency is down'),
});

async function probe(fn: () => Promise<unknown>, timeoutMs = 3000): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return 'ok';
  } catch (err) {
    return errorMessage(err);
  } finally {
    clearTimeout(timer);
  }
}

export function registerHealthRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(healthz, (c) => c.json({ status: 'ok' as const }, 200));
  app.openapi(readyz, async (c) => {
    const { db, temporal, config } = c.get('services');
    const [database, temporalCheck] = await Promise.all([
      probe(() => db.execute(sql`select 1`)),
      probe(() => temporal.workflowService.describeNamespace({ namespace: config.TEMPORAL_NAMESPACE })),
    ]);
    const ok = database === 'ok' && temporalCheck === 'ok';
    const body = {
      status: ok ? ('ready' as const) : ('unavailable' as const),
      checks: { database, temporal: temporalCheck },
    };
    return ok ? c.json(body, 200) : c.json(body, 503);
  });
}
