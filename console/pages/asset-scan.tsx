import type { Hono } from 'hono';
import { callApi, readApi, idParam } from '../api-call.js';
import { can, type ConsoleContext, type ConsoleEnv } from '../context.js';
import * as ui from '../ui.js';
import type { AuditEntryDto, Paged } from './types.js';

/** What the agent's latest scan of the host changed (the audit row `vulnerability.host_scan` records it). */
interface ScanOutcome {
  reported: number;
  created: number;
  updated: number;
  closed: number;
}

interface ScanState {
  /** The latest "scan now" (audit `asset.scan`) with no result recorded after it: the agent is still scanning. */
  runningSince: string | null;
  last: { at: string; outcome: ScanOutcome | null } | null;
}

function isOutcome(v: unknown): v is ScanOutcome {
  return typeof v === 'object' && v !== null && typeof (v as ScanOutcome).reported === 'number';
}

/**
 * The asset's scans as the API's audit log tells them: when "scan now" was asked for and when a scan's findings were
 * applied, with their counts. A scan whose agent fails leaves no result row; the section then keeps saying since when
 * it waits, which is what the API knows.
 */
async function scanState(c: ConsoleContext, assetId: string): Promise<ScanState> {
  const log = await readApi<Paged<AuditEntryDto>>(c, `/v1/audit-log?targetId=${assetId}&limit=50`);
  const started = log.items.find((e) => e.action === 'asset.scan');
  const done = log.items.find((e) => e.action === 'vulnerability.host_scan');
  return {
    runningSince: started && (!done || started.at > done.at) ? started.at : null,
    last: done ? { at: done.at, outcome: isOutcome(done.after) ? done.after : null } : null,
  };
}

export async function ScanSection(props: { c: ConsoleContext; assetId: string; hasAgent: boolean }) {
  const { c, assetId } = props;
  const t = c.get('t');
  const state = await scanState(c, assetId);
  const o = state.last?.outcome;
  return (
    <section
      class="card"
      id="scan"
      aria-labelledby="h-scan"
      aria-live="polite"
      hx-get={`/console/assets/${assetId}/scan`}
      hx-target="#scan"
      hx-swap="outerHTML"
      hx-trigger={state.runningSince ? 'every 2s' : undefined}
    >
      <h2 id="h-scan">{t('lastScan')}</h2>
      <p id="scan-status">
        {state.runningSince ? (
          <>
            <span class="badge s-Running">{t('scanRunning')}</span> {t('since')} {ui.time(state.runningSince)}
          </>
        ) : state.last ? (
          <>
            <span class="badge s-Succeeded">{t('scanDone')}</span> {ui.time(state.last.at)}
          </>
        ) : (
          t('neverScanned')
        )}
      </p>
      {o && (
        <p id="scan-outcome">
          {t('scanOutcome', {
            reported: o.reported,
            created: o.created,
            updated: o.updated,
            closed: o.closed,
          })}
        </p>
      )}
      {can(c, 'operator') && props.hasAgent && !state.runningSince && (
        <ui.ActionButton c={c} action={`/console/assets/${assetId}/scan`} label={t('scanNow')} />
      )}
    </section>
  );
}

export function registerAssetScan(web: Hono<ConsoleEnv>): void {
  web.get('/assets/:id/scan', async (c) => {
    const id = idParam(c);
    const asset = await readApi<{ agentStatus: string }>(c, `/v1/assets/${id}`);
    return c.html(await ScanSection({ c, assetId: id, hasAgent: asset.agentStatus !== 'none' }));
  });
  web.post('/assets/:id/scan', async (c) => {
    const id = idParam(c);
    const res = await callApi(c, 'POST', `/v1/assets/${id}/scan`);
    return ui.redirectWithFlash(c, `/console/assets/${id}`, res);
  });
}
