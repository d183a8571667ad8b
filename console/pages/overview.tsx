import type { Hono } from 'hono';
import type { TAccountOverview } from '../../api/routes/account-overview.js';
import { SEVERITIES } from '../../domain/findings.js';
import { readApi } from '../api-call.js';
import { BarChart, SEVERITY_COLORS } from '../chart.js';
import type { ConsoleContext, ConsoleEnv } from '../context.js';
import * as ui from '../ui.js';
import type { TaskDto } from './types.js';

export function registerOverviewPage(web: Hono<ConsoleEnv>): void {
  web.get('/', async (c) => {
    const t = c.get('t');
    const [risks, running, recent] = await Promise.all([
      readApi<TAccountOverview>(c, '/v1/account/overview'),
      readApi<{ items: TaskDto[] }>(c, '/v1/playbook/tasks?status=Progressing&limit=10'),
      readApi<{ items: TaskDto[] }>(c, '/v1/playbook/tasks?limit=10'),
    ]);
    const agents = risks.assets;
    const alertTotal = SEVERITIES.reduce((s, k) => s + risks.unhandledAlerts[k], 0);
    return c.html(
      <ui.Page c={c} title={t('overview')} nav="overview">
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
              <strong>{agents.online}</strong>
            </p>
            <p>
              <a href="/console/assets?agentStatus=offline">{t('assetsOffline')}</a>:{' '}
              <strong>{agents.offline}</strong>
            </p>
            <p>
              <a href="/console/assets?agentStatus=none">{t('assetsNoAgent')}</a>:{' '}
              <strong>{agents.none}</strong>
            </p>
          </section>
        </div>
        <section class="card" aria-labelledby="h-running">
          <h2 id="h-running">{t('runningTasks')}</h2>
          <TaskList c={c} tasks={running.items} />
        </section>
        <section class="card" aria-labelledby="h-recent">
          <h2 id="h-recent">{t('recentTasks')}</h2>
          <TaskList c={c} tasks={recent.items} />
        </section>
      </ui.Page>,
    );
  });
}

function TaskList(props: { c: ConsoleContext; tasks: TaskDto[] }) {
  const { c } = props;
  if (props.tasks.length === 0) return <p class="muted">{c.get('t')('none')}</p>;
  return (
    <ul class="plain">
      {props.tasks.map((task) => (
        <li>
          <a href={`/console/playbook/tasks/${task.id}`}>{task.name}</a>{' '}
          <ui.Status c={c} value={task.status} /> <span class="muted">{ui.time(task.createdAt)}</span>
        </li>
      ))}
    </ul>
  );
}
