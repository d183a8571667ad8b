import { and, count, type SQL } from 'drizzle-orm';
import type { Hono } from 'hono';
import { assetConditions } from '../../services/inventory/asset-views.js';
import { memberRisks } from '../../activities/multi-account/member-risks.js';
import { assets } from '../../db/schema/inventory.js';
import { SEVERITIES } from '../../domain/findings.js';
import { readApi } from '../api-call.js';
import { BarChart, SEVERITY_COLORS } from '../chart.js';
import { sessionOf, type ConsoleEnv } from '../context.js';
import { Page, Status, time } from '../ui.js';
import type { TaskDto } from './types.js';

export function registerOverviewPage(web: Hono<ConsoleEnv>): void {
  web.get('/', async (c) => {
    const t = c.get('t');
    const { db } = c.get('services');
    const { accountId } = sessionOf(c);
    const [risks, byStatus, running, recent] = await Promise.all([
      // The same read model as a member's risk view (counts kept by triggers): one row however many findings.
      memberRisks(db, accountId),
      db
        .select({ status: assets.agentStatus, n: count() })
        .from(assets)
        .where(and(...(assetConditions({ accountId }) as [SQL, ...SQL[]])))
        .groupBy(assets.agentStatus),
      readApi<{ items: TaskDto[] }>(c, '/v1/playbook/tasks?status=Progressing&limit=10'),
      readApi<{ items: TaskDto[] }>(c, '/v1/playbook/tasks?limit=10'),
    ]);
    const agents = Object.fromEntries(byStatus.map((r) => [r.status, r.n]));
    const alertTotal = SEVERITIES.reduce((s, k) => s + risks.unhandledAlerts[k], 0);
    return c.html(
      <Page c={c} title={t('overview')} nav="overview">
        <div class="grid">
          <section class="card" aria-labelledby="h-vulns">
            <h2 id="h-vulns">{t('openVulns')}</h2>
            <BarChart
              title={t('openVulns')}
              bars={SEVERITIES.map((s) => ({
                label: t(s),
                value: risks.openVulnerabilities[s],
                color: SEVERITY_COLORS[s],
              }))}
            />
          </section>
          <section class="card" aria-labelledby="h-score">
            <h2 id="h-score">{t('securityScore')}</h2>
            <p class="stat">{risks.score}</p>
            <h2>{t('unhandledAlerts')}</h2>
            <p class="stat">{alertTotal}</p>
          </section>
          <section class="card" aria-labelledby="h-assets">
            <h2 id="h-assets">{t('assets')}</h2>
            <p>
              <a href="/console/assets?agentStatus=online">{t('assetsOnline')}</a>:{' '}
              <strong>{agents.online ?? 0}</strong>
            </p>
            <p>
              <a href="/console/assets?agentStatus=offline">{t('assetsOffline')}</a>:{' '}
              <strong>{agents.offline ?? 0}</strong>
            </p>
            <p>
              <a href="/console/assets?agentStatus=none">{t('assetsNoAgent')}</a>:{' '}
              <strong>{agents.none ?? 0}</strong>
            </p>
          </section>
        </div>
        <section class="card" aria-labelledby="h-running">
          <h2 id="h-running">{t('runningTasks')}</h2>
          <TaskList tasks={running.items} empty={t('none')} />
        </section>
        <section class="card" aria-labelledby="h-recent">
          <h2 id="h-recent">{t('recentTasks')}</h2>
          <TaskList tasks={recent.items} empty={t('none')} />
        </section>
      </Page>,
    );
  });
}

function TaskList(props: { tasks: TaskDto[]; empty: string }) {
  if (props.tasks.length === 0) return <p class="muted">{props.empty}</p>;
  return (
    <ul class="plain">
      {props.tasks.map((task) => (
        <li>
          <a href={`/console/playbook/tasks/${task.id}`}>{task.name}</a> <Status value={task.status} />{' '}
          <span class="muted">{time(task.createdAt)}</span>
        </li>
      ))}
    </ul>
  );
}
