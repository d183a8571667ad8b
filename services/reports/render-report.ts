import { SEVERITIES } from '../../domain/findings.js';
import { renderMjml } from '../../platform/mjml.js';
import { REPORT_MESSAGES, type TReportMessages } from '../../domain/reports/messages.js';
import type { TReportItem, TReportLanguage, TReportType } from '../../domain/reports/rules.js';
import {
  formatDelta,
  isQuietPeriod,
  type TCount,
  type TListedFinding,
  type TReportStats,
} from '../../domain/reports/stats.js';
import { civilDateTime } from '../../domain/time-zone.js';
import {
  CHART_HEIGHT,
  CHART_WIDTH,
  CURRENT_COLOR,
  hex,
  PREVIOUS_COLOR,
  SEVERITY_COLORS,
  severityBreakdownChart,
  trendChart,
} from './report-charts.js';
import { escapeHtml as esc } from '../../domain/reports/html.js';

/** Stands for the recipient's own one-click unsubscribe link until the mail to that recipient is built. */
export const UNSUBSCRIBE_PLACEHOLDER = '%%VIGIL_UNSUBSCRIBE_URL%%';

export interface RenderedImage {
  cid: string;
  filename: string;
  content: Buffer;
}

export interface RenderedReport {
  subject: string;
  /** HTML with charts as `cid:` references and the unsubscribe link as `UNSUBSCRIBE_PLACEHOLDER`. */
  html: string;
  text: string;
  images: RenderedImage[];
}

export interface RenderInput {
  name: string;
  type: TReportType;
  language: TReportLanguage;
  stats: TReportStats;
  generatedAt: Date;
}

/** The headline count of each item, for the summary table and the trend chart. */
export function headlineCounts(stats: TReportStats): { key: TReportItem; count: TCount }[] {
  const out: { key: TReportItem; count: TCount }[] = [];
  for (const item of stats.items) {
    const count =
      item === 'issueResolved'
        ? stats.issueResolved && {
            current:
              stats.issueResolved.vulnerabilitiesFixed.current + stats.issueResolved.alertsHandled.current,
            previous:
              stats.issueResolved.vulnerabilitiesFixed.previous + stats.issueResolved.alertsHandled.previous,
          }
        : item === 'assets'
          ? stats.assets?.added
          : item === 'alerts'
            ? stats.alerts?.added
            : item === 'vulnerabilities'
              ? stats.vulnerabilities?.added
              : item === 'baselineCheck'
                ? stats.baselineCheck?.added
                : stats.attack?.events;
    if (count) out.push({ key: item, count });
  }
  return out;
}

function localTime(iso: string | Date, zone: string): string {
  if (iso === '') return '';
  const c = civilDateTime(typeof iso === 'string' ? new Date(iso) : iso, zone);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${c.year}-${p(c.month)}-${p(c.day)} ${p(c.hour)}:${p(c.minute)}`;
}

const CELL = 'padding:6px 8px;border-bottom:1px solid #e5e7eb;text-align:left;';
const HEAD = `${CELL}background:#f3f4f6;font-weight:600;`;

function table(head: string[], rows: (string | number)[][], m: TReportMessages): string {
  if (rows.length === 0) return `<mj-text color="#6b7280">${esc(m.none)}</mj-text>`;
  const th = head.map((h) => `<th style="${HEAD}">${esc(h)}</th>`).join('');
  const trs = rows
    .map((r) => `<tr>${r.map((v) => `<td style="${CELL}">${esc(v)}</td>`).join('')}</tr>`)
    .join('');
  return `<mj-table font-size="13px" line-height="18px"><tr>${th}</tr>${trs}</mj-table>`;
}

function findingsTable(rows: TListedFinding[], m: TReportMessages, zone: string): string {
  return table(
    [m.finding, m.asset, m.severityCol, m.when],
    rows.map((r) => [r.title, r.asset, m.severity[r.severity], localTime(r.at, zone)]),
    m,
  );
}

const heading = (t: string) =>
  `<mj-text font-size="16px" font-weight="600" padding-top="18px">${esc(t)}</mj-text>`;

function legend(entries: [string, string][]): string {
  const spans = entries
    .map(
      ([color, label]) =>
        `<span style="display:inline-block;margin-right:14px;"><span style="display:inline-block;width:10px;height:10px;background:${color};margin-right:5px;"></span>${esc(label)}</span>`,
    )
    .join('');
  return `<mj-text font-size="12px" color="#374151">${spans}</mj-text>`;
}

function itemSections(stats: TReportStats, m: TReportMessages): string {
  const zone = stats.period.timeZone;
  const parts: string[] = [];
  if (stats.issueResolved) {
    const r = stats.issueResolved;
    parts.push(
      heading(
        `${m.item.issueResolved}: ${m.vulnerabilitiesFixed} ${r.vulnerabilitiesFixed.current}, ${m.alertsHandled} ${r.alertsHandled.current}`,
      ),
      heading(m.fixedInPeriod),
      findingsTable(r.fixed, m, zone),
    );
  }
  if (stats.assets) {
    const a = stats.assets;
    parts.push(
      heading(`${m.item.assets}: ${m.assetsTotal} ${a.total}`),
      `<mj-text>${esc(m.agents(a.agentOnline, a.agentOffline, a.noAgent))}</mj-text>`,
      heading(m.topAssets),
      table(
        [m.asset, m.critical, m.high, m.open],
        a.topAffected.map((t) => [
          t.name === t.hostname ? t.name : `${t.name} (${t.hostname})`,
          t.critical,
          t.high,
          t.open,
        ]),
        m,
      ),
    );
  }
  if (stats.vulnerabilities || stats.alerts) {
    const open = [...(stats.vulnerabilities?.openHigh ?? []), ...(stats.alerts?.openHigh ?? [])];
    parts.push(heading(m.openHigh), findingsTable(open, m, zone));
  }
  if (stats.alerts)
    parts.push(`<mj-text>${esc(`${m.item.alerts} — ${m.unhandled}: ${stats.alerts.unhandled}`)}</mj-text>`);
  if (stats.baselineCheck) {
    parts.push(
      `<mj-text>${esc(`${m.item.baselineCheck} — ${m.unhandled}: ${stats.baselineCheck.unhandled}`)}</mj-text>`,
    );
  }
  if (stats.attack) {
    const a = stats.attack;
    parts.push(
      heading(`${m.item.attack}: ${a.events.current} (${m.blocked} ${a.blocked.current})`),
      table(
        [m.attackTypes, m.count],
        a.topTypes.map((t) => [t.type, t.count]),
        m,
      ),
    );
  }
  return parts.join('\n');
}

function scopeLine(stats: TReportStats, m: TReportMessages): string {
  if (!stats.scope) return '';
  const min = stats.scope.minSeverity ? m.severity[stats.scope.minSeverity] : null;
  return `<mj-text font-size="12px" color="#374151">${esc(m.scope(stats.scope.assetGroupName ?? stats.scope.assetGroupId, min))}</mj-text>`;
}

/** A member's headline: each selected item's count in the period with its change. */
function memberHeadline(stats: TReportStats, m: TReportMessages): string {
  return headlineCounts(stats)
    .map((c) => `${m.item[c.key]} ${c.count.current} (${formatDelta(c.count)})`)
    .join(' · ');
}

/**
 * A consolidated report's members: an overview table (score and open items by severity, worst score first) and one
 * short section per member. Styles sit in one class rule, not on every cell, so 50 members stay well under 200 KB.
 */
function memberSections(stats: TReportStats, m: TReportMessages): string {
  const members = stats.members;
  if (!members || members.length === 0) return '';
  const zone = stats.period.timeZone;
  const ordered = [...members].sort((a, b) => a.score - b.score || a.name.localeCompare(b.name));
  const overview = `<mj-table css-class="vm" font-size="12px" line-height="16px"><tr><th>${esc(m.member)}</th><th>${esc(m.score)}</th>${SEVERITIES.map((s) => `<th>${esc(m.severity[s])}</th>`).join('')}</tr>${ordered
    .map(
      (x) =>
        `<tr><td>${esc(x.name)}</td><td>${x.score}</td>${SEVERITIES.map((s) => `<td>${x.stats.openBySeverity[s]}</td>`).join('')}</tr>`,
    )
    .join('')}</mj-table>`;
  const sections = ordered
    .map((x) => {
      const open = [...(x.stats.vulnerabilities?.openHigh ?? []), ...(x.stats.alerts?.openHigh ?? [])].slice(
        0,
        3,
      );
      const rows = open
        .map(
          (r) =>
            `<tr><td>${esc(m.severity[r.severity])}</td><td>${esc(r.title)}</td><td>${esc(r.asset)}</td><td>${esc(localTime(r.at, zone))}</td></tr>`,
        )
        .join('');
      return `<mj-text font-size="14px" font-weight="600" padding-top="12px">${esc(`${x.name} — ${m.score} ${x.score}`)}</mj-text>
      <mj-text font-size="12px">${esc(memberHeadline(x.stats, m))}</mj-text>${
        rows ? `<mj-table css-class="vm" font-size="12px" line-height="16px">${rows}</mj-table>` : ''
      }`;
    })
    .join('\n');
  return `<mj-section background-color="#ffffff" padding="8px 24px"><mj-column>
      ${heading(`${m.members} (${members.length})`)}
      ${overview}
      ${sections}
    </mj-column></mj-section>`;
}

/**
 * The report mail: MJML in the report's language (`<mjml lang>`), a plain-text part from the same data, and two
 * PNG charts referenced by CID (never SVG: Gmail and Outlook do not show it).
 */
export async function renderReport(input: RenderInput): Promise<RenderedReport> {
  const { stats } = input;
  const m = REPORT_MESSAGES[input.language];
  const zone = stats.period.timeZone;
  const subject = m.subject(input.name, `${m.type[input.type]} ${stats.period.label}`);
  const quiet = isQuietPeriod(stats);
  const counts = headlineCounts(stats);
  const images: RenderedImage[] = [
    { cid: 'trend@vigil', filename: 'trend.png', content: trendChart(counts) },
    {
      cid: 'severity@vigil',
      filename: 'severity.png',
      content: severityBreakdownChart(stats.openBySeverity),
    },
  ];
  const summaryRows = counts.map((c) => [
    m.item[c.key],
    c.count.current,
    c.count.previous,
    formatDelta(c.count),
  ]);
  const quietBlock = quiet
    ? `<mj-section background-color="#ecfdf5" padding="12px"><mj-column>
         <mj-text font-size="16px" font-weight="600" color="#065f46">${esc(m.quietTitle)}</mj-text>
         <mj-text color="#065f46">${esc(m.quietBody)}</mj-text></mj-column></mj-section>`
    : '';
  const img = (cid: string, alt: string) =>
    `<mj-image src="cid:${cid}" alt="${esc(alt)}" width="${CHART_WIDTH}px" height="${CHART_HEIGHT}px" padding="4px 0" />`;
  const mjml = `<mjml lang="${input.language}">
  <mj-head>
    <mj-title>${esc(subject)}</mj-title>
    <mj-preview>${esc(quiet ? m.quietTitle : `${m.period} ${stats.period.label}`)}</mj-preview>
    <mj-raw><meta name="color-scheme" content="light"><meta name="supported-color-schemes" content="light"></mj-raw>
    <mj-attributes>
      <mj-all font-family="-apple-system, 'Segoe UI', Helvetica, Arial, 'PingFang SC', 'Microsoft YaHei', sans-serif" />
      <mj-text font-size="14px" line-height="20px" color="#111827" padding="4px 0" />
    </mj-attributes>
    ${stats.members?.length ? '<mj-style>.vm td,.vm th{padding:4px 6px;border-bottom:1px solid #e5e7eb;text-align:left}.vm th{background:#f3f4f6}</mj-style>' : ''}
  </mj-head>
  <mj-body background-color="#f3f4f6" width="640px">
    <mj-section background-color="#111827" padding="16px 24px"><mj-column>
      <mj-text color="#ffffff" font-size="12px">${esc(m.product)}</mj-text>
      <mj-text color="#ffffff" font-size="20px" font-weight="600">${esc(input.name)}</mj-text>
      <mj-text color="#d1d5db">${esc(`${m.type[input.type]} · ${m.period}: ${stats.period.label} · ${m.timeZone}: ${zone}`)}</mj-text>
    </mj-column></mj-section>
    ${quietBlock}
    <mj-section background-color="#ffffff" padding="8px 24px"><mj-column>
      ${heading(m.summary)}
      ${table([m.metric, m.thisPeriod, m.previousPeriod, m.change], summaryRows, m)}
      ${heading(m.trendChart)}
      ${img('trend@vigil', m.trendChart)}
      ${legend([
        [hex(PREVIOUS_COLOR), m.previousPeriod],
        [hex(CURRENT_COLOR), m.thisPeriod],
      ])}
      <mj-text font-size="12px" color="#374151">${esc(counts.map((c) => m.item[c.key]).join(' · '))}</mj-text>
      ${heading(m.severityChart)}
      ${img('severity@vigil', m.severityChart)}
      ${legend(SEVERITIES.map((s) => [hex(SEVERITY_COLORS[s]), `${m.severity[s]} ${stats.openBySeverity[s]}`]))}
      ${scopeLine(stats, m)}
      ${itemSections(stats, m)}
    </mj-column></mj-section>
    ${memberSections(stats, m)}
    <mj-section padding="12px 24px"><mj-column>
      <mj-text font-size="12px" color="#6b7280">${esc(`${m.generated}: ${localTime(input.generatedAt, zone)} ${zone}`)}</mj-text>
      <mj-text font-size="12px" color="#6b7280">${esc(m.footer)} <a href="${UNSUBSCRIBE_PLACEHOLDER}" style="color:#6b7280;">${esc(m.unsubscribe)}</a></mj-text>
    </mj-column></mj-section>
  </mj-body>
</mjml>`;
  const result = await renderMjml(mjml, { validationLevel: 'strict', keepComments: false });
  return { subject, html: result.html, text: renderText(input, m, quiet, summaryRows), images };
}

function renderText(
  input: RenderInput,
  m: TReportMessages,
  quiet: boolean,
  summary: (string | number)[][],
): string {
  const { stats } = input;
  const zone = stats.period.timeZone;
  const lines: string[] = [
    `${m.product}: ${input.name}`,
    `${m.type[input.type]} · ${m.period}: ${stats.period.label} · ${m.timeZone}: ${zone}`,
    '',
  ];
  if (quiet) lines.push(m.quietTitle, m.quietBody, '');
  lines.push(`${m.summary} (${m.thisPeriod} / ${m.previousPeriod} / ${m.change})`);
  for (const [label, cur, prev, delta] of summary) lines.push(`- ${label}: ${cur} / ${prev} / ${delta}`);
  lines.push(
    '',
    `${m.severityChart}: ${SEVERITIES.map((s) => `${m.severity[s]} ${stats.openBySeverity[s]}`).join(', ')}`,
  );
  const list = (title: string, rows: TListedFinding[]) => {
    lines.push('', `${title}:`);
    if (rows.length === 0) lines.push(`  ${m.none}`);
    for (const r of rows)
      lines.push(`- [${m.severity[r.severity]}] ${r.title} — ${r.asset} (${localTime(r.at, zone)})`);
  };
  if (stats.issueResolved) list(m.fixedInPeriod, stats.issueResolved.fixed);
  if (stats.assets) {
    lines.push('', `${m.topAssets}:`);
    for (const a of stats.assets.topAffected)
      lines.push(`- ${a.name}: ${m.critical} ${a.critical}, ${m.high} ${a.high}, ${m.open} ${a.open}`);
  }
  if (stats.vulnerabilities || stats.alerts) {
    list(m.openHigh, [...(stats.vulnerabilities?.openHigh ?? []), ...(stats.alerts?.openHigh ?? [])]);
  }
  if (stats.attack) {
    lines.push(
      '',
      `${m.item.attack}: ${stats.attack.events.current} (${m.blocked} ${stats.attack.blocked.current})`,
    );
    for (const t of stats.attack.topTypes) lines.push(`- ${t.type}: ${t.count}`);
  }
  if (stats.members?.length) {
    lines.push('', `${m.members} (${stats.members.length}):`);
    for (const x of stats.members)
      lines.push(`- ${x.name} (${m.score} ${x.score}): ${memberHeadline(x.stats, m)}`);
  }
  lines.push(
    '',
    `${m.generated}: ${localTime(input.generatedAt, zone)} ${zone}`,
    m.footer,
    `${m.unsubscribe}: ${UNSUBSCRIBE_PLACEHOLDER}`,
  );
  return lines.join('\n');
}

/** The file Export downloads: the mailed HTML with the charts inlined as data: URIs (a file has no CID parts). */
export function inlineImages(html: string, images: { cid: string; base64: string }[]): string {
  let out = html;
  for (const i of images) out = out.split(`cid:${i.cid}`).join(`data:image/png;base64,${i.base64}`);
  return out;
}
