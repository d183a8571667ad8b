import type { StepKind, StepStatus, TaskStatus } from './status.js';

export const FLOW_NODE_IDS = [
  'start',
  'wait',
  'precheck',
  'snapshot',
  'fix',
  'verify',
  'reboot',
  'notify',
  'end',
] as const;
export type FlowNodeId = (typeof FLOW_NODE_IDS)[number];

const LABELS: Record<FlowNodeId, string> = {
  start: 'Start',
  wait: 'Wait for window',
  precheck: 'Precheck',
  snapshot: 'Snapshot',
  fix: 'Fix',
  verify: 'Verify',
  reboot: 'Reboot',
  notify: 'Notify',
  end: 'End',
};

/**
 * A node's state. `notRequired`: the step had nothing to do (no fix asked for a reboot, no channel to notify);
 * `skipped`: it did not run on any asset of a task that ended; `cancelled`: the task was cancelled before it ran.
 */
export type FlowNodeStatus =
  'pending' | 'running' | 'done' | 'failed' | 'skipped' | 'notRequired' | 'cancelled';
/** Outcomes by status: one per asset (and vulnerability, for fixes) — its last attempt, never each retry. */
export type StepCounts = Partial<Record<StepStatus, number>>;

export interface TFlowNode {
  id: FlowNodeId;
  label: string;
  status: FlowNodeStatus;
  /** Outcomes of this step by status (Playbook truth rule: counts are outcomes; retries are in `attempts`). */
  counts: StepCounts;
  /** Every attempt of this step, retries included (shown apart from the outcomes). */
  attempts: number;
}
export interface TFlowGraph {
  nodes: TFlowNode[];
  edges: { from: FlowNodeId; to: FlowNodeId }[];
}

export interface StepTally {
  outcomes: StepCounts;
  attempts: number;
}

export interface FlowInput {
  taskStatus: TaskStatus;
  windowed: boolean;
  /** The window opened (or the task ran at once): false for a task cancelled or expired while it waited. */
  windowReached: boolean;
  snapshot: boolean;
  verify: boolean;
  reboot: boolean;
  steps: Partial<Record<StepKind, StepTally>>;
  notificationsSent: number;
  /** Channels the task notifies; none → Notify is not required. */
  channels: number;
}

const FINAL: readonly TaskStatus[] = ['Cancelled', 'Succeeded', 'PartiallyFailed', 'Failed', 'Expired'];
const CANCELLED: readonly TaskStatus[] = ['Cancelling', 'Cancelled'];

/** A step node: from its outcomes while they come in; once the task ended, why a step without outcomes did not run. */
function stepStatus(id: StepKind, c: StepCounts, task: TaskStatus): FlowNodeStatus {
  if ((c.running ?? 0) > 0) return 'running';
  if ((c.failed ?? 0) > 0) return 'failed';
  if ((c.succeeded ?? 0) > 0) return 'done';
  if ((c.cancelled ?? 0) > 0) return 'cancelled';
  if ((c.skipped ?? 0) > 0) return 'skipped';
  if (CANCELLED.includes(task)) return 'cancelled';
  if (!FINAL.includes(task)) return 'pending';
  // Reboot runs only when a fix asked for it: none did.
  return id === 'reboot' ? 'notRequired' : 'skipped';
}

function endStatus(task: TaskStatus): FlowNodeStatus {
  switch (task) {
    case 'Succeeded':
      return 'done';
    case 'PartiallyFailed':
    case 'Failed':
      return 'failed';
    case 'Cancelled':
      return 'cancelled';
    case 'Expired':
      return 'skipped';
    default:
      return 'pending';
  }
}

/** The policy flow (seed: "flowchart of the task") with per-node outcomes; disabled steps are left out. */
export function buildFlow(input: FlowInput): TFlowGraph {
  const final = FINAL.includes(input.taskStatus);
  const cancelled = CANCELLED.includes(input.taskStatus);
  const ids: FlowNodeId[] = ['start'];
  if (input.windowed) ids.push('wait');
  ids.push('precheck');
  if (input.snapshot) ids.push('snapshot');
  ids.push('fix');
  if (input.verify) ids.push('verify');
  if (input.reboot) ids.push('reboot');
  ids.push('notify', 'end');
  const node = (
    id: FlowNodeId,
    status: FlowNodeStatus,
    counts: StepCounts = {},
    attempts = 0,
  ): TFlowNode => ({
    id,
    label: LABELS[id],
    status,
    counts,
    attempts,
  });
  const nodes = ids.map((id): TFlowNode => {
    switch (id) {
      case 'start':
        return node(id, 'done');
      case 'wait':
        if (input.windowReached) return node(id, 'done');
        if (cancelled) return node(id, 'cancelled');
        return node(id, final ? 'skipped' : 'running');
      case 'notify': {
        const sent = input.notificationsSent;
        if (sent > 0) return node(id, 'done', { succeeded: sent }, sent);
        if (input.channels === 0) return node(id, final ? 'notRequired' : 'pending');
        return node(id, cancelled ? 'cancelled' : final ? 'skipped' : 'pending');
      }
      case 'end':
        return node(id, endStatus(input.taskStatus));
      default: {
        const tally = input.steps[id] ?? { outcomes: {}, attempts: 0 };
        return node(id, stepStatus(id, tally.outcomes, input.taskStatus), tally.outcomes, tally.attempts);
      }
    }
  });
  const edges = ids.slice(1).map((to, i) => ({ from: ids[i] as FlowNodeId, to }));
  return { nodes, edges };
}

function countText(c: StepCounts): string {
  return Object.entries(c)
    .filter(([, n]) => (n ?? 0) > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
}

const FILL: Record<FlowNodeStatus, [string, string]> = {
  pending: ['#f4f4f5', '#a1a1aa'],
  running: ['#dbeafe', '#2563eb'],
  done: ['#dcfce7', '#16a34a'],
  failed: ['#fee2e2', '#dc2626'],
  skipped: ['#fef9c3', '#ca8a04'],
  notRequired: ['#f4f4f5', '#d4d4d8'],
  cancelled: ['#e4e4e7', '#52525b'],
};

/** Mermaid node ids: the flow's own ids prefixed, because Mermaid reserves some of them as keywords (`end`). */
const mermaidId = (id: FlowNodeId) => `step_${id}`;

const STATUS_TEXT: Record<FlowNodeStatus, string> = {
  pending: 'pending',
  running: 'running',
  done: 'done',
  failed: 'failed',
  skipped: 'skipped',
  notRequired: 'not required',
  cancelled: 'cancelled',
};

/** What a node shows under its label: its outcomes, the attempts when retries made more, or why it did not run. */
function nodeText(n: TFlowNode): string {
  const outcomes = Object.values(n.counts).reduce((a, b) => a + (b ?? 0), 0);
  const counts = countText(n.counts);
  if (!counts) return STATUS_TEXT[n.status];
  return n.attempts > outcomes ? `${counts} (${n.attempts} attempts)` : counts;
}

/** Mermaid `flowchart LR`, one class per node status. */
export function flowToMermaid(g: TFlowGraph): string {
  const lines = ['flowchart LR'];
  for (const n of g.nodes) {
    const label =
      ['start', 'end'].includes(n.id) && n.status === 'done' ? n.label : `${n.label}<br/>${nodeText(n)}`;
    lines.push(`  ${mermaidId(n.id)}["${label.replace(/"/g, '#quot;')}"]:::${n.status}`);
  }
  for (const e of g.edges) lines.push(`  ${mermaidId(e.from)} --> ${mermaidId(e.to)}`);
  lines.push(
    ...Object.entries(FILL).map(
      ([status, [fill, stroke]]) => `  classDef ${status} fill:${fill},stroke:${stroke}`,
    ),
  );
  return `${lines.join('\n')}\n`;
}

const escapeXml = (s: string) =>
  s.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c,
  );

/** A self-contained SVG: boxes left to right with arrows, each showing its label and counts. */
export function flowToSvg(g: TFlowGraph): string {
  const w = 130;
  const h = 64;
  const gap = 36;
  const width = g.nodes.length * (w + gap) - gap + 20;
  const x = (i: number) => 10 + i * (w + gap);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${h + 20}" viewBox="0 0 ${width} ${h + 20}" font-family="sans-serif" font-size="12">`,
    '<defs><marker id="arrow" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#52525b"/></marker></defs>',
  ];
  g.nodes.forEach((n, i) => {
    const [fill, stroke] = FILL[n.status];
    const text = nodeText(n);
    parts.push(
      `<g><title>${escapeXml(`${n.label}: ${STATUS_TEXT[n.status]}${text !== STATUS_TEXT[n.status] ? ` (${text})` : ''}`)}</title>`,
      `<rect x="${x(i)}" y="10" width="${w}" height="${h}" rx="8" fill="${fill}" stroke="${stroke}"/>`,
      `<text x="${x(i) + w / 2}" y="36" text-anchor="middle" font-weight="bold">${escapeXml(n.label)}</text>`,
      `<text x="${x(i) + w / 2}" y="56" text-anchor="middle" fill="#3f3f46">${escapeXml(text)}</text></g>`,
    );
    if (i < g.nodes.length - 1) {
      parts.push(
        `<line x1="${x(i) + w}" y1="${10 + h / 2}" x2="${x(i + 1) - 2}" y2="${10 + h / 2}" stroke="#52525b" marker-end="url(#arrow)"/>`,
      );
    }
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
