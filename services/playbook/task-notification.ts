import { consoleTaskUrl } from '../../domain/console.js';
import { and, asc, eq } from 'drizzle-orm';
import { assets } from '../../db/schema/inventory.js';
import { playbookTaskAssets, playbookTasks } from '../../db/schema/playbook.js';
import type { NotificationMessage } from '../../domain/notifications.js';
import type { Services } from '../../platform/services.js';

export type TaskNotificationEvent = 'start' | 'end' | 'cancel';

/** A message lists at most this many failed assets by name; the rest are counted. */
const MAX_NAMED_FAILURES = 20;

/**
 * The start, end or cancel message of a task (DESIGN §5: messages name the failed assets and why), or null when the
 * task has no notification channels.
 */
export async function buildTaskNotification(
  deps: Pick<Services, 'db' | 'publicUrl'>,
  req: { taskId: string; execution: number; event: TaskNotificationEvent },
): Promise<{ channelIds: string[]; dedupeKey: string; message: NotificationMessage } | null> {
  const [task] = await deps.db.select().from(playbookTasks).where(eq(playbookTasks.id, req.taskId));
  if (!task || task.channelIds.length === 0) return null;
  const rows = await deps.db
    .select({ name: assets.name, status: playbookTaskAssets.status, reason: playbookTaskAssets.reason })
    .from(playbookTaskAssets)
    .innerJoin(assets, eq(assets.id, playbookTaskAssets.assetId))
    .where(and(eq(playbookTaskAssets.taskId, req.taskId), eq(playbookTaskAssets.execution, req.execution)))
    .orderBy(asc(playbookTaskAssets.position));
  const by = (s: string) => rows.filter((r) => r.status === s).length;
  const failed = rows.filter((r) => r.status === 'Failed');
  const link = { label: 'Task details', url: consoleTaskUrl(deps.publicUrl, task.id) };
  const headline =
    req.event === 'start'
      ? `Task "${task.name}" started: fixing ${task.vulnerabilityCount} vulnerabilities on ${rows.length} assets (execution ${req.execution}).`
      : req.event === 'cancel'
        ? `Task "${task.name}" was cancelled (execution ${req.execution}).`
        : `Task "${task.name}" ended ${task.status} (execution ${req.execution}).`;
  const failureLines = failed.slice(0, MAX_NAMED_FAILURES).map((f) => `- ${f.name}: ${f.reason ?? 'failed'}`);
  if (failed.length > MAX_NAMED_FAILURES)
    failureLines.push(`- … and ${failed.length - MAX_NAMED_FAILURES} more`);
  const failures =
    req.event === 'start' || failed.length === 0 ? '' : `\n\nFailed assets:\n${failureLines.join('\n')}`;
  const facts =
    req.event === 'start'
      ? [
          { label: 'Assets', value: String(rows.length) },
          { label: 'Vulnerabilities', value: String(task.vulnerabilityCount) },
        ]
      : [
          { label: 'Status', value: task.status },
          { label: 'Succeeded', value: String(by('Succeeded')) },
          { label: 'Failed', value: String(by('Failed')) },
          { label: 'Skipped', value: String(by('Skipped')) },
          { label: 'Cancelled', value: String(by('Cancelled')) },
        ];
  const title = `Vigil Playbook: ${task.name} — ${req.event === 'start' ? 'started' : req.event === 'cancel' ? 'cancelled' : task.status}`;
  return {
    channelIds: task.channelIds,
    dedupeKey: `playbook-task:${task.id}:${req.execution}:${req.event}`,
    message: {
      title: title.slice(0, 200),
      markdown: `### ${title}\n\n${headline}${failures}`,
      text: `${headline}${failures}`,
      facts,
      link,
    },
  };
}
