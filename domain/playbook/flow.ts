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

export type FlowNodeStatus = 'pending' | 'running' | 'done' | 'failed' | 'skipped';
export type StepCounts = Partial<Record<StepStatus, number>>;

export interface TFlowNode {
  id: FlowNodeId;
  label: string;
  status: FlowNodeStatus;
  /** Step rows of this kind by status (for Start/Wait/End: 1 when reached). */
  counts: StepCounts;
}
export interface TFlowGraph {
  nodes: TFlowNode[];
  edges: { from: FlowNodeId; to: FlowNodeId }[];
}

export interface FlowInput {
  taskStatus: TaskStatus;
  windowed: boolean;
  snapshot: boolean;
  verify: boolean;
  reboot: boolean;
  steps: Partial<Record<StepKind, StepCounts>>;
  notificationsSent: number;
}

function statusOf(c: StepCounts, reached: boolean): FlowNodeStatus {
  if ((c.running ?? 0) > 0) return 'running';
  if ((c.failed ?? 0) > 0) return 'failed';
  if ((c.succeeded ?? 0) > 0) return 'done';
  if ((c.skipped ?? 0) > 0 || (c.cancelled ?? 0) > 0) return 'skipped';
  return reached ? 'done' : 'pending';
}

/** The policy flow (seed: "flowchart of the task") with per-node counts; disabled steps are left out. */
export function buildFlow(input: FlowInput): TFlowGraph {
  const final = ['Cancelled', 'Succeeded', 'PartiallyFailed', 'Failed', 'Expired'].includes(input.taskStatus);
  const started = input.taskStatus !== 'Waiting';
  const ids: FlowNodeId[] = ['start'];
  if (input.windowed) ids.push('wait');
  ids.push('precheck');
  if (input.snapshot) ids.push('snapshot');
  ids.push('fix');
  if (input.verify) ids.push('verify');
  if (input.reboot) ids.push('reboot');
  ids.push('notify', 'end');
  const nodes = ids.map((id): TFlowNode => {
    switch (id) {
      case 'start':
        return { id, label: LABELS[id], status: 'done', counts: { succeeded: 1 } };
      case 'wait':
        return {
          id,
          label: LABELS[id],
          status: started ? 'done' : 'running',
          counts: started ? { succeeded: 1 } : { running: 1 },
        };
      case 'notify':
        return {
          id,
          label: LABELS[id],
          status: input.notificationsSent > 0 ? 'done' : final ? 'skipped' : 'pending',
          counts: { succeeded: input.notificationsSent },
        };
      case 'end':
        return {
          id,
          label: LABELS[id],
          status: final ? (input.taskStatus === 'Succeeded' ? 'done' : 'failed') : 'pending',
          counts: final ? { succeeded: 1 } : {},
        };
      default: {
        const counts = input.steps[id] ?? {};
        return { id, label: LABELS[id], status: statusOf(counts, false), counts };
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

/** Mermaid `flowchart LR`, one class per node status. */
export function flowToMermaid(g: TFlowGraph): string {
  const lines = ['flowchart LR'];
  for (const n of g.nodes) {
    const counts = countText(n.counts);
    const label = counts && !['start', 'end', 'wait'].includes(n.id) ? `${n.label}<br/>${counts}` : n.label;
    lines.push(`  ${n.id}["${label.replace(/"/g, '#quot;')}"]:::${n.status}`);
  }
  for (const e of g.edges) lines.push(`  ${e.from} --> ${e.to}`);
  lines.push(
    '  classDef pending fill:#f4f4f5,stroke:#a1a1aa',
    '  classDef running fill:#dbeafe,stroke:#2563eb',
    '  classDef done fill:#dcfce7,stroke:#16a34a',
    '  classDef failed fill:#fee2e2,stroke:#dc2626',
    '  classDef skipped fill:#fef9c3,stroke:#ca8a04',
  );
  return `${lines.join('\n')}\n`;
}

const FILL: Record<FlowNodeStatus, [string, string]> = {
  pending: ['#f4f4f5', '#a1a1aa'],
  running: ['#dbeafe', '#2563eb'],
  done: ['#dcfce7', '#16a34a'],
  failed: ['#fee2e2', '#dc2626'],
  skipped: ['#fef9c3', '#ca8a04'],
};

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
    const counts = countText(n.counts);
    parts.push(
      `<g><title>${escapeXml(`${n.label}: ${n.status}${counts ? ` (${counts})` : ''}`)}</title>`,
      `<rect x="${x(i)}" y="10" width="${w}" height="${h}" rx="8" fill="${fill}" stroke="${stroke}"/>`,
      `<text x="${x(i) + w / 2}" y="36" text-anchor="middle" font-weight="bold">${escapeXml(n.label)}</text>`,
      `<text x="${x(i) + w / 2}" y="56" text-anchor="middle" fill="#3f3f46">${escapeXml(counts || n.status)}</text></g>`,
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
