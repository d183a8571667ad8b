import { and, eq } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { memberSettingsAgents } from '../../db/schema/multi-account.js';
import { ZUnappliedSettingsSchema } from '../../domain/agent-settings.js';

/**
 * Keeps what an agent reported it could not apply of the revision it runs (issue 16) beside that revision; an agent
 * that reports nothing (older agents) applied everything; an unreadable report is recorded as such.
 */
export async function recordUnappliedSettings(
  db: Executor,
  opts: { memberId: string; agentId: string; unapplied: unknown },
): Promise<void> {
  const parsed = ZUnappliedSettingsSchema.safeParse(opts.unapplied ?? []);
  await db
    .update(memberSettingsAgents)
    .set({
      unapplied: parsed.success
        ? parsed.data
        : [
            {
              setting: '*',
              reason: 'the agent reported what it could not apply in a form this server does not read',
            },
          ],
    })
    .where(
      and(eq(memberSettingsAgents.accountId, opts.memberId), eq(memberSettingsAgents.agentId, opts.agentId)),
    );
}
