import type { Hono } from 'hono';
import { raw } from 'hono/html';
import { streamSSE } from 'hono/streaming';
import { FINAL_TASK_STATUSES, TASK_STATUSES, type TaskStatus } from '../../domain/playbook/status.js';
import { taskWorkflowId } from '../../services/playbook/task-workflow.js';
import { callApi, query, readApi, idParam } from '../api-call.js';
import { can, type ConsoleContext, type ConsoleEnv } from '../context.js';
import * as ui from '../ui.js';
import { PlaybookTabs } from './playbook.js';
import type { LogEntryDto, Paged, TaskDetailDto, TaskDto } from './types.js';

/** How often the live view looks for progress while a task runs (server side, per open task page). */
const LIVE_POLL_MS = 1000;
/** An event stream ends after this long; the browser's EventSource reconnects by itself. */
const LIVE_STREAM_MS = 5 * 60 * 1000;

const isFinal = (s: string) => FINAL_TASK_STATUSES.includes(s as TaskStatus);

function temporalUiUrl(c: ConsoleContext, taskId: string): string {
  const { config } = c.get('services');
  const base = (config.TEMPORAL_UI_URL ?? `http://127.0.0.1:${config.TEMPORAL_UI_PORT}`).replace(/\/$/, '');
  return `${base}/namespaces/${encodeURIComponent(config.TEMPORAL_NAMESPACE)}/workflows/${encodeURIComponent(taskWorkflowId(taskId))}`;
}

/** The controls the task's status admits (the API decides again when the button is used). */
function Controls(props: { c: ConsoleContext; task: TaskDto }) {
  const { c, task } = props;
  const t = c.get('t');
  if (!can(c, 'operator')) return null;
  const base = `/console/playbook/tasks/${task.id}`;
  return (
    <div class="row" id="task-controls">
      {!isFinal(task.status) && task.status !== 'Cancelling' && (
        <ui.ActionButton c={c} action={`${base}/cancel`} label={t('cancel')} danger />
      )}
      {task.status === 'Progressing' && (
        <ui.ActionButton c={c} action={`${base}/pause`} label={t('pause')} secondary />
      )}
      {task.status === 'Paused' && <ui.ActionButton c={c} action={`${base}/resume`} label={t('resume')} />}
      {isFinal(task.status) && (
        <ui.ActionButton c={c} action={`${base}/rerun`} label={t('rerun')} secondary />
      )}
    </div>
  );
}

/** Status, log summary, steps, the drawn flow and the asset list: the part of the page that updates live. */
async function LiveTask(props: { c: ConsoleContext; id: string }) {
  const { c, id } = props;
  const t = c.get('t');
  const [task, flow] = await Promise.all([
    readApi<TaskDetailDto>(c, `/v1/playbook/tasks/${id}`),
    readApi<string>(c, `/v1/playbook/tasks/${id}/flow?format=svg`),
  ]);
  const final = isFinal(task.status);
  const log = task.log;
  return (
    <div
      id="task-live"
      data-events={final ? undefined : `/console/playbook/tasks/${id}/events`}
      hx-get={`/console/playbook/tasks/${id}/live`}
      hx-trigger={final ? 'refresh' : 'refresh, every 5s'}
      hx-swap="outerHTML"
    >
      <section class="card" aria-labelledby="h-status">
        <h2 id="h-status">
          {t('status')}: <ui.Status c={c} value={task.status} />
        </h2>
        {!final && <p class="muted">{t('live')}</p>}
        <Controls c={c} task={task} />
        <p>
          {t('executions')}: {task.executions} · {t('created')}: {ui.time(task.createdAt)} · {t('endTimeCol')}
          : {ui.time(task.endedAt)}
          {task.window && ` · ${task.window.start} – ${task.window.end} ${task.window.timeZone}`}
        </p>
        <p>
          <a href={temporalUiUrl(c, id)}>{t('temporalUi')}</a>
        </p>
      </section>
      <section class="card" id="others" aria-labelledby="h-log">
        <h2 id="h-log">{t('log')}</h2>
        <p id="log-summary">
          {t('processes')}: <strong>{log.processes}</strong> · {t('succeeded')}:{' '}
          <strong>{log.succeeded}</strong> · {t('failed')}: <strong>{log.failed}</strong> · {t('pending')}:{' '}
          <strong>{log.pending}</strong> · {t('skipped')}: <strong>{log.skipped}</strong>
        </p>
        <ui.DataTable head={[t('step'), t('status'), t('details')]}>
          {log.steps.map((s) => (
            <tr>
              <td>{s.kind}</td>
              <td>
                <ui.Status c={c} value={s.status} />
              </td>
              <td>
                {Object.entries(s.counts)
                  .map(([k, n]) => `${k} ${n}`)
                  .join(' · ')}
              </td>
            </tr>
          ))}
        </ui.DataTable>
        <p>
          <a href={`/console/playbook/tasks/${id}/logs`}>{t('log')} →</a>
        </p>
        <h2 id="h-flow">{t('policyFlow')}</h2>
        <div class="flow scroll" role="img" aria-labelledby="h-flow">
          {raw(flow)}
        </div>
      </section>
      <section class="card" id="assets" aria-labelledby="h-assets">
        <h2 id="h-assets">{t('assetList')}</h2>
        <ui.DataTable head={[t('assets'), t('status'), t('vulnerabilities'), t('latestScan')]}>
          {task.assets.map((a) => (
            <tr>
              <td>
                <a href={`/console/assets/${a.id}`}>{a.name}</a>
              </td>
              <td>
                <ui.Status c={c} value={a.status} /> {a.reason && <span class="muted">{a.reason}</span>}
              </td>
              <td>{a.vulnerabilities.map((v) => `${v.name} (${ui.word(c, v.status)})`).join(', ')}</td>
              <td>{ui.time(a.latestScanAt)}</td>
            </tr>
          ))}
        </ui.DataTable>
      </section>
      <section class="card" id="notification" aria-labelledby="h-notification">
        <h2 id="h-notification">{t('notification')}</h2>
        {task.notification.channels.length === 0 ? (
          <p class="muted">{t('noChannels')}</p>
        ) : (
          <ul class="plain">
            {task.notification.channels.map((ch) => (
              <li>
                {ch.name} ({ch.type === 'dingtalk' ? t('dingtalkRobots') : t('email')})
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}

export function registerTaskPages(web: Hono<ConsoleEnv>): void {
  web.get('/playbook/tasks', async (c) => {
    const t = c.get('t');
    const status = c.req.query('status');
    const cursor = c.req.query('cursor');
    const res = await callApi<Paged<TaskDto>>(
      c,
      'GET',
      `/v1/playbook/tasks${query({ status, cursor, limit: 50 })}`,
    );
    return c.html(
      <ui.Page c={c} title={t('playbook')} nav="playbook">
        <PlaybookTabs c={c} current="tasks" />
        <ui.Flash c={c} />
        <ui.FilterForm c={c} action="/console/playbook/tasks">
          <ui.SelectField
            label={t('status')}
            name="status"
            value={status}
            options={[['', t('allStatuses')], ...ui.wordOptions(c, TASK_STATUSES)]}
          />
        </ui.FilterForm>
        {!res.ok ? (
          <p class="error" role="alert">
            {res.message}
          </p>
        ) : (
          <>
            <ui.DataTable
              head={[
                t('name'),
                t('executions'),
                t('mode'),
                t('created'),
                t('endTimeCol'),
                t('status'),
                t('actions'),
              ]}
            >
              {res.data.items.map((task) => (
                <tr>
                  <td>{task.name}</td>
                  <td>{task.executions}</td>
                  <td>{task.mode === 'now' ? t('execute') : t('customTime')}</td>
                  <td>{ui.time(task.createdAt)}</td>
                  <td>{ui.time(task.endedAt)}</td>
                  <td>
                    <ui.Status c={c} value={task.status} />
                  </td>
                  <td>
                    <a
                      href={`/console/playbook/tasks/${task.id}`}
                      aria-label={`${t('details')}: ${task.name}`}
                    >
                      {t('details')}
                    </a>
                    {task.status === 'Waiting' && can(c, 'operator') && (
                      <>
                        {' '}
                        <ui.ActionButton
                          c={c}
                          action={`/console/playbook/tasks/${task.id}/cancel`}
                          label={t('cancel')}
                          danger
                        />
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </ui.DataTable>
            <ui.NextPage
              c={c}
              path="/console/playbook/tasks"
              cursor={res.data.nextCursor}
              params={{ status }}
            />
          </>
        )}
      </ui.Page>,
    );
  });

  web.get('/playbook/tasks/:id', async (c) => {
    const t = c.get('t');
    const id = idParam(c);
    const task = await readApi<TaskDto>(c, `/v1/playbook/tasks/${id}`);
    return c.html(
      <ui.Page c={c} title={task.name} nav="playbook">
        <PlaybookTabs c={c} current="tasks" />
        <ui.Flash c={c} />
        <nav class="tabs" aria-label={task.name}>
          <a href="#assets">{t('assetList')}</a>
          <a href="#notification">{t('notification')}</a>
          <a href="#others">{t('others')}</a>
        </nav>
        {await LiveTask({ c, id })}
      </ui.Page>,
    );
  });

  web.get('/playbook/tasks/:id/live', async (c) => c.html(await LiveTask({ c, id: idParam(c) })));

  // Server-sent events: "changed" whenever the task's log summary moves, "final" once it has ended.
  web.get('/playbook/tasks/:id/events', (c) => {
    const id = idParam(c);
    return streamSSE(c, async (stream) => {
      const until = Date.now() + LIVE_STREAM_MS;
      let last = '';
      while (!stream.aborted && Date.now() < until) {
        const res = await callApi<TaskDetailDto>(c, 'GET', `/v1/playbook/tasks/${id}`);
        if (!res.ok) break;
        const now = JSON.stringify([res.data.status, res.data.log]);
        if (isFinal(res.data.status)) {
          await stream.writeSSE({ event: 'final', data: res.data.status });
          break;
        }
        if (now !== last) {
          if (last !== '') await stream.writeSSE({ event: 'changed', data: res.data.status });
          last = now;
        }
        await stream.sleep(LIVE_POLL_MS);
      }
    });
  });

  web.get('/playbook/tasks/:id/logs', async (c) => {
    const t = c.get('t');
    const id = idParam(c);
    const cursor = c.req.query('cursor');
    const [task, logs] = await Promise.all([
      readApi<TaskDto>(c, `/v1/playbook/tasks/${id}`),
      readApi<Paged<LogEntryDto>>(c, `/v1/playbook/tasks/${id}/logs${query({ cursor, limit: 200 })}`),
    ]);
    return c.html(
      <ui.Page c={c} title={`${t('log')} — ${task.name}`} nav="playbook">
        <p>
          <a href={`/console/playbook/tasks/${id}`}>← {task.name}</a>
        </p>
        <ol class="plain" id="log-entries">
          {logs.items.map((e) => (
            <li class="card">
              <p>
                <span class="muted">{ui.time(e.at)}</span> <strong>{e.event}</strong> {e.message}
              </p>
              {e.step && (
                <details>
                  <summary>
                    {t('step')} {ui.word(c, e.step.kind)}: {ui.word(c, e.step.status)} · {t('attempt')}{' '}
                    {e.step.attempt} · {t('exitCode')} {e.step.exitCode ?? '—'}
                  </summary>
                  <pre tabindex={0}>{e.step.output || '—'}</pre>
                </details>
              )}
            </li>
          ))}
        </ol>
        <ui.NextPage c={c} path={`/console/playbook/tasks/${id}/logs`} cursor={logs.nextCursor} />
      </ui.Page>,
    );
  });

  // The policy flow on its own page (the Temporal UI links here); the task page draws it too, live.
  web.get('/playbook/tasks/:id/flow', async (c) => {
    const t = c.get('t');
    const id = idParam(c);
    const [task, flow] = await Promise.all([
      readApi<TaskDto>(c, `/v1/playbook/tasks/${id}`),
      readApi<string>(c, `/v1/playbook/tasks/${id}/flow?format=svg`),
    ]);
    return c.html(
      <ui.Page c={c} title={`${t('policyFlow')} — ${task.name}`} nav="playbook">
        <p>
          <a href={`/console/playbook/tasks/${id}`}>← {task.name}</a>
        </p>
        <div class="flow scroll card" role="img" aria-label={t('policyFlow')}>
          {raw(flow)}
        </div>
      </ui.Page>,
    );
  });

  for (const control of ['cancel', 'pause', 'resume', 'rerun'] as const) {
    web.post(`/playbook/tasks/:id/${control}`, async (c) => {
      const id = idParam(c);
      const res = await callApi(c, 'POST', `/v1/playbook/tasks/${id}/${control}`);
      const back = c.req.header('referer')?.includes('/console/playbook/tasks?')
        ? '/console/playbook/tasks'
        : `/console/playbook/tasks/${id}`;
      return c.redirect(
        `${back}?${res.ok ? 'ok' : 'error'}=${encodeURIComponent(res.ok ? c.get('t')('done') : res.message)}`,
        303,
      );
    });
  }
}
